"""Does the memorisation offset explain divergence below the one-example boundedness limit? (docs/sweeps.md)

For runs of the default regime at learning rates where the full network diverges below the derived limit
eta_b = (3 sqrt(3)/2 - 1) m / (4 ||u||^2), record every 50 steps and compute each strong training example's
offset c_i = y_i f_i - (1/m) sum_r sigma(j <w_{j,r}, u>) (the own class's strong part). The derived offset
map is bounded iff kappa (1 - c) <= kappa_b (`offset_bounded_eta_max`): if a negative offset caused the
divergence, kappa (1 - min_i c_i) would pass kappa_b some time before the run diverges. Prints, per run, the
largest kappa (1 - min_i c_i) / kappa_b over the checkpoints up to 500 steps before the divergence (or the end).

Run from the repository root with the venv active (about 20 s here): python docs/measurements/divergence_offsets.py
"""

import numpy as np

from benosc import Config
from benosc.simulate import simulate
from benosc.theory import derive_statements
from benosc.theory.network_rates import kappa_eff_function

st = derive_statements(2)
base = Config().replace(steps=8000, record_every=50)
eta_b = st["bounded_eta_max"].at(base)
k_of = kappa_eff_function()
k_b = float(k_of(eta_b, base.network.m, base.data.u_norm, 0.0))
rows = []
for v_norm, eta in ((0.02, 2.7), (0.06, 2.8), (0.1, 3.0)):
    cfg = base.replace(v_norm=v_norm)
    tr = simulate(cfg, {"eta": [eta], "seed": list(range(6))}).trajectory
    m = cfg.network.m
    z_own = (np.maximum(tr.strong_init[:, None] + tr.gamma, 0) ** 2).sum(axis=3) / m  # (R, S, 2)
    z_i = np.take_along_axis(z_own, (tr.y < 0).astype(int)[:, None, :], axis=2)  # (R, S, n)
    c = np.where(tr.strong[:, None, :], tr.train_margin - z_i, np.nan)
    for r in range(tr.n_runs):
        d = int(tr.diverged_step[r])
        before = tr.record_step <= (d - 500 if d >= 0 else tr.record_step[-1])
        worst = float(np.nanmax(k_of(eta, m, cfg.data.u_norm, np.nanmin(c[r, before], axis=1)))) / k_b
        rows.append((v_norm, eta, r, str(tr.status[r]), d, worst))
print(f"eta_b = {eta_b:.4g}, kappa_b = {k_b:.4f}")
print("| ||v|| | eta | seed | status | diverged at | max kappa(1 - min_i c_i) / kappa_b before |")
print("|---|---|---|---|---|---|")
for v, e, r, s, d, w in rows:
    print(f"| {v:g} | {e:g} | {r} | {s} | {d if d >= 0 else '-'} | {w:.3f} |")
div = [w for *_, s, d, w in rows if s == "diverged"]
ok = [w for *_, s, d, w in rows if s != "diverged"]
print(f"diverged: {len(div)}, of which past kappa_b before: {sum(w > 1 for w in div)}; completed: {len(ok)}, largest ratio among them {max(ok):.3f}")
