"""Refactor guard: the documented outputs, fingerprinted, so that a refactor can show it changed nothing.

Runs, at small sizes, `benosc simulate --json`, `benosc derive --json`, `benosc verify --json` (a fast subset
of claims), `benosc report --quick` (report.md) and a small `benosc sweep` (its store's arrays), removes what
legitimately differs between two runs (wall times, dates, output paths, versions), and writes one SHA-256 per
output plus the normalised texts into WORKDIR.

    python docs/measurements/refactor_guard.py WORKDIR            # fingerprint the current code
    python docs/measurements/refactor_guard.py WORKDIR --compare OLD_WORKDIR
                                                                   # and compare with an earlier fingerprint

Run it before the first commit of a refactor and after the last: every output must be identical, or the
commit that changes it must say so. About a minute here.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

benosc = str(Path(sys.executable).with_name("benosc"))
work = Path(sys.argv[1])
work.mkdir(parents=True, exist_ok=True)
compare = Path(sys.argv[sys.argv.index("--compare") + 1]) if "--compare" in sys.argv else None
SMALL = ["--set", "n_test=64", "--set", "n_test_weak=64"]
VOLATILE = {"wall_time_s", "created", "timings_s", "benosc_version", "torch_version", "command", "date", "out", "path", "files"}


def run(*argv: str) -> str:
    return subprocess.run([benosc, *argv], check=True, capture_output=True, text=True).stdout


def scrub(obj):
    """The JSON without the fields that differ between two identical runs (times, dates, paths, versions)."""
    if isinstance(obj, dict):
        return {k: scrub(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [scrub(v) for v in obj]
    if isinstance(obj, str):
        return obj.replace(str(work), "WORKDIR")
    return obj


def text_of_report(path: Path) -> str:
    text = path.read_text(encoding="utf-8").replace(str(work), "WORKDIR")
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d( UTC)?", "DATE", text)
    return re.sub(r"\d+(\.\d+)? s\b", "T s", text)


def store_digest(store: Path) -> str:
    import xarray as xr

    ds = xr.open_zarr(store).load()
    h = hashlib.sha256()
    for name in sorted(ds.variables):
        values = ds[name].values
        h.update(name.encode())
        h.update(
            np.ascontiguousarray(values).tobytes() if values.dtype.kind != "U" and values.dtype.kind != "O" else "|".join(map(str, values.ravel())).encode()
        )
    return h.hexdigest()


outputs: dict[str, str] = {}
outputs["simulate.json"] = json.dumps(
    scrub(json.loads(run("simulate", "--json", "--steps", "300", "--seeds", "2", *SMALL, "--no-figures", "--no-replay", "--out", str(work / "simulate")))),
    indent=1,
    sort_keys=True,
)
outputs["derive.json"] = json.dumps(scrub(json.loads(run("derive", "--json"))), indent=1, sort_keys=True)
verify = subprocess.run(
    [
        benosc,
        "verify",
        "--json",
        "--seeds",
        "2",
        "--claims",
        "decomposition",
        "threshold",
        "accumulation",
        "generalisation",
        "--out",
        str(work / "verify"),
        *SMALL,
    ],
    capture_output=True,
    text=True,
)
outputs["verify.json"] = json.dumps(scrub(json.loads(verify.stdout)), indent=1, sort_keys=True) + f"\nexit {verify.returncode}\n"
run("report", "--quick", "--out", str(work / "report"))
outputs["report.md"] = text_of_report(work / "report" / "report.md")
store = work / "sweep.zarr"
if not store.exists():
    run("sweep", "--grid", "eta=0.5,2.2,2.6", "--seeds", "2", "--steps", "400", *SMALL, "--out", str(store))
outputs["sweep.zarr"] = store_digest(store)

digests = {}
for name, text in outputs.items():
    (work / f"guard_{name}.txt").write_text(text, encoding="utf-8")
    digests[name] = hashlib.sha256(text.encode()).hexdigest()
(work / "guard.json").write_text(json.dumps(digests, indent=1, sort_keys=True), encoding="utf-8")
for name, d in digests.items():
    print(f"{d[:16]}  {name}")
if compare is not None:
    old = json.loads((compare / "guard.json").read_text(encoding="utf-8"))
    changed = [n for n in digests if old.get(n) != digests[n]]
    print("identical" if not changed else "changed: " + ", ".join(changed) + f" (diff {compare}/guard_NAME.txt {work}/guard_NAME.txt)")
    sys.exit(1 if changed else 0)
