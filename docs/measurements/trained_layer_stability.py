"""Where SGD with a trained second layer (same eta for both layers) stays bounded, default regime, 5 seeds.

Run: python docs/measurements/trained_layer_stability.py   (about a minute on 2 CPU cores)
Prints, per eta: runs diverged, weak-only accuracy (mean ± std over completed runs),
and the range of the final second-layer weights a_{+1,r}.
"""

import numpy as np

from benosc import Config
from benosc.simulate import simulate

etas = [0.05, 0.08, 0.1, 0.12, 0.14, 0.17, 0.2, 0.3, 0.5]
tr = simulate(Config().replace(second_layer="trained"), {"eta": etas, "seed": list(range(5))}).trajectory
print("eta   diverged  weak-only accuracy   a_{+1,r} at the end")
for eta in etas:
    sel = np.isclose(tr.eta, eta)
    ok = sel & (tr.status == "completed")
    acc = tr.final("weak_test_acc")[ok]
    a = tr.a[ok][:, -1, 0, :]
    acc_text = f"{100 * acc.mean():5.1f} ± {100 * acc.std():4.1f}%" if acc.size else "      -       "
    a_text = f"{a.min():.3f}..{a.max():.3f}" if a.size else "-"
    print(f"{eta:<5g} {int((sel & ~ok).sum())}/{int(sel.sum())}       {acc_text}      {a_text}")
