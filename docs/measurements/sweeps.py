"""The numbers of docs/sweeps.md ("Two phase maps"): runs both sweeps and maps, prints every table and count.

Run from the repository root with the venv active (about 1.5 minutes here):

    python docs/measurements/sweeps.py [WORKDIR]

WORKDIR (default: a temporary folder) keeps the stores; the two map figures are
copied, reduced, to docs/figures/.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

from benosc import Config
from benosc.theory import derive_statements
from benosc.theory.statement import evaluate

benosc = str(Path(sys.executable).with_name("benosc"))
work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="benosc-sweeps-"))
work.mkdir(parents=True, exist_ok=True)
SWEEPS = {
    "v_norm": ["--grid", "eta=1.0:3.4:25", "--grid", "v_norm=0.02:0.24:12"],
    "sigma_p": ["--grid", "eta=1.0:3.4:25", "--grid", "sigma_p=0.01:0.08:15"],
}
stores = {}
for axis, grid in SWEEPS.items():
    store = work / f"eta_{axis.replace('_', '')}.zarr"
    if not store.exists():
        t0 = time.perf_counter()
        subprocess.run([benosc, "sweep", *grid, "--seeds", "5", "--steps", "8000", "--out", str(store)], check=True, stdout=subprocess.DEVNULL)
        print(f"sweep eta x {axis}: {time.perf_counter() - t0:.1f} s")
    subprocess.run([benosc, "map", str(store), "--x", "eta", "--y", axis, "--out", str(work / f"maps_{axis}")], check=True, stdout=subprocess.DEVNULL)
    stores[axis] = xr.open_zarr(store).compute()
    from PIL import Image

    png = work / f"maps_{axis}" / f"map_eta_{axis}.png"
    im = Image.open(png)
    im.thumbnail((1200, 1200))
    im.convert("RGB").quantize(colors=128).save(Path("docs/figures") / png.name, optimize=True)  # small: docs only show it

st = derive_statements(2)
limit = evaluate(st["bounded_eta_max"].value, Config())
p2_lo, p2_hi = (evaluate(e, Config()) for e in st["period2_stable_eta"].value)


def cells(ds: xr.Dataset, axis: str):
    """Per (eta, axis value): mean weak-only accuracy and A4 fraction over completed seeds, diverged count, runs."""
    df = ds[
        [
            "eta",
            axis,
            "weak_test_acc",
            "osc_fraction_before_hit",
            "status",
            "weak_log_slope",
            "weak_log_slope_predicted",
            "weak_log_slope_clean",
            "strong_offset",
            "osc_fraction_predicted",
        ]
    ].to_dataframe()
    df["a4_late"] = ds["osc_fraction_window"].values[:, 1:].mean(axis=1)  # quarters 2-4, the offsets' window
    df["ratio"] = df.weak_log_slope / df.weak_log_slope_predicted
    df["share_ratio"] = df.weak_log_slope / df.weak_log_slope_clean
    df["completed"] = df.status == "completed"
    out = {}
    for (eta, y), g in df.groupby(["eta", axis]):
        ok = g[g.completed]
        out[(round(eta, 4), round(y, 4))] = dict(
            acc=ok.weak_test_acc.mean() if len(ok) else np.nan,
            a4=ok.osc_fraction_before_hit.mean() if len(ok) else np.nan,
            diverged=int((~g.completed).sum()),
            runs=len(g),
            slope=ok.weak_log_slope.median() if len(ok) else np.nan,
            ratio=ok.ratio.median() if len(ok) else np.nan,
            share_ratio=ok.share_ratio.median() if len(ok) else np.nan,
            offset=ok.strong_offset.median() if len(ok) else np.nan,
            a4_late=ok.a4_late.mean() if len(ok) else np.nan,
            a4_pred=ok.osc_fraction_predicted.mean() if len(ok) else np.nan,
        )
    return out


def table(c, axis: str, rows, cols=(1.5, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0)) -> None:
    print(f"| {axis} | " + " | ".join(f"eta {e}" if k == 0 else str(e) for k, e in enumerate(cols)) + " |")
    for y in rows:
        cellsrow = []
        for e in cols:
            x = c[(round(e, 4), round(y, 4))]
            if x["diverged"] == x["runs"]:
                cellsrow.append("all diverged")
            elif x["diverged"]:
                cellsrow.append(f"{100 * x['acc']:.0f}%, {x['diverged']} of {x['runs']} diverged")
            else:
                cellsrow.append(f"{100 * x['acc']:.0f}% ({100 * x['a4']:.0f}%)")
        print(f"| {y:g} | " + " | ".join(cellsrow) + " |")


def counts(c, ds) -> None:
    a4 = [k for k, x in c.items() if x["a4"] >= 0.9]
    learnt = [k for k, x in c.items() if x["acc"] >= 0.9]
    both = set(a4) & set(learnt)
    print(f"cells: {len(c)}; A4 fraction >= 90%: {len(a4)} (eta {sorted({k[0] for k in a4})}); learnt (mean >= 90%): {len(learnt)}; both: {len(both)}")
    below = ds.eta <= limit
    div = (ds.status != "completed") & below
    print(f"runs with eta <= {limit:.4g}: {int(below.sum())}, diverged: {int(div.sum())}, smallest eta among them: {float(ds.eta.where(div).min()):.3g}")


for axis, rows in (("v_norm", (0.02, 0.06, 0.10, 0.14, 0.20)), ("sigma_p", (0.01, 0.02, 0.03, 0.045, 0.06, 0.08))):
    ds = stores[axis]
    c = cells(ds, axis)
    print(f"\n## eta x {axis}")
    table(c, axis, [min({k[1] for k in c}, key=lambda y: abs(y - r)) for r in rows])
    counts(c, ds)
    if axis == "v_norm":
        small = [x["acc"] for k, x in c.items() if k[1] <= 0.08 + 1e-9 and np.isfinite(x["acc"])]
        print(f"||v|| <= 0.08: weak-only accuracy {100 * min(small):.0f}-{100 * max(small):.0f}% over every eta")
        at01 = sorted((k[0], x["acc"]) for k, x in c.items() if abs(k[1] - 0.1) < 1e-9)
        print("||v|| = 0.1, first eta with mean >= 90%:", next((e for e, a in at01 if a >= 0.9), None))
        # weak growth against its derived prediction (benosc.simulate.weak_growth), medians over seeds, period-2 window
        print("| ||v|| | eta | measured / (share x one-example rate) | measured / network rate with offset | offset c |")
        for v in (0.02, 0.04, 0.06, 0.08, 0.1):
            for (eta, vv), x in sorted(c.items()):
                if abs(vv - v) < 1e-9 and p2_lo < eta < p2_hi:
                    print(f"| {v:g} | {eta:g} | {x['share_ratio']:.2f} | {x['ratio']:.2f} | {x['offset']:+.4f} |")
    # Assumption 4's fraction over quarters 2-4 against the offset map's prediction (means over seeds)
    print(f"\n| {axis} | eta | A4 fraction, quarters 2-4 | predicted by the offset map |")
    for (eta, y), x in sorted(c.items()):
        if 2.0 < eta < 2.55 and any(abs(y - r) < 1e-9 for r in rows):
            print(f"| {y:g} | {eta:g} | {x['a4_late']:.2f} | {x['a4_pred']:.2f} |")
print(f"\nstores and maps in {work}")
