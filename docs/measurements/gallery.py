"""Regenerate the small PNGs of docs/figures.md from the commands a user runs (about 1 minute here).

Run from the repository root with the venv active: python docs/measurements/gallery.py
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

benosc = str(Path(sys.executable).with_name("benosc"))
dest = Path("docs/figures/gallery")
dest.mkdir(parents=True, exist_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    runs = {
        "simulate": [benosc, "simulate", "--eta", "0.5", "2.2", "2.6", "3.0", "--set", "sharpness_every=2000", "--no-replay", "--out", str(tmp / "simulate")],
        "verify": [benosc, "verify", "--out", str(tmp / "verify")],
        "report": [benosc, "report", "--quick", "--out", str(tmp / "report")],
    }
    for name, argv in runs.items():
        subprocess.run(argv, check=False, stdout=subprocess.DEVNULL)
        for png in sorted((tmp / name).glob("*.png")):
            im = Image.open(png)
            im.thumbnail((700, 700))
            im = im.convert("RGB").quantize(colors=96)  # small files: the docs only need to show them
            im.save(dest / f"{name}_{png.name}", optimize=True)
            print(dest / f"{name}_{png.name}")
