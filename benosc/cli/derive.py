"""benosc derive: the derived statements (thresholds, period-2 orbit, weak growth), or with --recursions the per-example recursions."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from benosc.cli.common import UsageError, build_config, set_fields
from benosc.config import Config

__all__ = ["add", "run"]

#: the fields --recursions accepts with --set (those of benosc.theory.model.ModelSpec)
MODEL_FIELDS = ("P", "q", "loss", "filters", "activation", "second_layer", "label_noise")


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derive",
        help="print the derived statements (thresholds, period-2 orbit, weak growth)",
        description=(
            "Derive with sympy, from the network, the loss and the SGD step, the strong-feature "
            "map's fixed point and loss of stability (any q) and, for q = 2, its period-2 orbit, "
            "stability window, next period doubling, boundedness threshold, residual per period "
            "and weak-feature growth. Every value is computed, none is typed in."
        ),
    )
    p.add_argument("--q", metavar="Q", type=float, default=2.0, help="activation power q >= 1 (default 2)")
    p.add_argument("--json", action="store_true", help="print one JSON object; values are sympify-parsable strings")
    p.add_argument(
        "--recursions",
        action="store_true",
        help="print instead the per-example recursions of gamma, zeta, rho (and a, for a trained second layer) re-derived "
        "for the model of --set (fields P, q, loss, filters, activation, second_layer, label_noise)",
    )
    p.add_argument("--set", metavar="FIELD=VALUE", action="append", help="with --recursions: a model field, e.g. --set activation=quadratic (repeatable)")
    p.set_defaults(handler=run, config=None, steps=None)


def _recursions(args: argparse.Namespace) -> int:
    """benosc derive --recursions: the recursions of the (ablated) model, each with its checks."""
    import dataclasses

    import sympy as sp

    from benosc.theory.model import ModelSpec, derive_recursions
    from benosc.theory.statement import is_zero

    for key in set_fields(args):
        if key not in MODEL_FIELDS:
            raise UsageError(f"argument --set: {key!r} is not allowed with --recursions; model fields: {', '.join(MODEL_FIELDS)}")
    if args.q != 2.0 and "q" in set_fields(args):
        raise UsageError("argument --q: not allowed together with --set q=...; give q once")
    config = build_config(args)
    if args.q != 2.0:
        config = config.replace(q=args.q)
    spec = ModelSpec.from_config(config)
    spec = dataclasses.replace(spec, q=int(spec.q) if float(spec.q).is_integer() else spec.q)
    rec = derive_recursions(spec)
    checks = {name: bool(is_zero(e)) for name, e in rec.checks.items()}
    if args.json:
        print(
            json.dumps(
                {
                    "model": {k: (str(v) if isinstance(v, sp.Basic) else v) for k, v in spec.__dict__.items()},
                    "recursions": {k: sp.sstr(v) for k, v in rec.delta.items()},
                    "factors": {k: sp.sstr(v) for k, v in rec.factor.items()},
                    "arguments": {k: [str(a) for a in rec.args[k]] for k in rec.delta},
                    "checks": checks,
                },
                indent=2,
            )
        )
        return 0 if all(checks.values()) else 1
    from benosc.terminal import recursions_text

    recursions_text(spec, rec, checks)
    return 0 if all(checks.values()) else 1


def run(args: argparse.Namespace) -> int:
    from benosc.theory.predictions import derivable_q

    if args.set and not args.recursions:
        raise UsageError("argument --set: only with --recursions (the statements are derived for the paper's model)")
    if not (math.isfinite(args.q) and derivable_q(args.q)):
        raise UsageError(f"argument --q: {args.q} is not allowed; the symbolic derivation supports q = k/2 in [1, 4] (the simulators run any q >= 1)")
    from benosc.theory import Q2_ONLY, derive_statements
    from benosc.theory.symbols import PUBLIC

    if args.recursions:
        return _recursions(args)
    q = int(args.q) if float(args.q).is_integer() else args.q
    statements = derive_statements(q)
    if args.json:
        # every symbol a value is written in: the configuration's (PUBLIC) and the statements' own (f, c, msr, ...)
        values = [v for st in statements.values() for v in (st.value if isinstance(st.value, tuple) else (st.value,))]
        used = {sym.name for v in values if hasattr(v, "free_symbols") for sym in v.free_symbols}
        obj: dict[str, Any] = {"q": q, "symbols": sorted(set(PUBLIC) | used)}
        details: dict[str, dict[str, Any]] = {}
        for key in list(statements) + [k for k in Q2_ONLY if k not in statements]:
            st = statements.get(key)
            if st is None:
                obj[key] = None
                details[key] = {"note": "closed form derived for q = 2 only"}
                continue
            obj[key] = st.as_string()
            details[key] = {
                "title": st.title,  # texts: prose with inline $...$ LaTeX
                "latex": st.latex(),
                "lhs": st.lhs,
                "assumptions": list(st.assumptions),
                "checks": st.symbolic_checks(),
                "paper": st.paper,
                "note": st.note,
            }
        obj["details"] = details
        print(json.dumps(obj, indent=2))
        return 0 if all(all(d.get("checks", {}).values()) for d in details.values()) else 1
    from benosc.terminal import statements_text

    d = Config()
    at = {PUBLIC["m"]: d.network.m, PUBLIC["u_norm"]: d.data.u_norm, PUBLIC["v_norm"]: d.data.v_norm}
    failed = statements_text(statements, q, at, f"$m = {d.network.m}$, $\\|u\\| = {d.data.u_norm:g}$, $\\|v\\| = {d.data.v_norm:g}$")
    return 1 if failed else 0
