"""Every figure benosc draws, as functions a notebook calls: each draws into a given matplotlib Axes or Figure and returns it.

The commands write these same figures as files (``benosc simulate``, ``verify``, ``report``, ``map``); here they
are drawn, in the package style (:mod:`benosc.figstyle`: Computer Modern fonts, the paper's symbols), into what
you pass, or into a new Figure when you pass nothing::

    import benosc.plot as bp
    from benosc.simulate import simulate

    traj = simulate(cfg, {"eta": [0.5, 2.6]}).trajectory
    fig = bp.margins(traj)                      # a new Figure (as a cell's value, Jupyter shows it)
    with bp.style():                            # your own layout, in the package style
        fig = bp.new_figure(7.0, 3.0)
        left, right = fig.subfigures(1, 2)
        ax = left.add_subplot()
    bp.accuracy(traj, ax=ax)                    # a one-panel figure draws into an Axes
    bp.coefficients(traj, fig=right)            # a multi-panel one into a Figure or SubFigure
    bp.save(fig, "both.png")                    # both.png (200 dpi) and both.pdf, as the commands write them

One-panel figures take ``ax=`` and return the Axes; multi-panel ones take ``fig=`` (a Figure or SubFigure)
and return it.  Axes created outside :func:`style` keep your tick fonts; the artists benosc adds are styled.
Several one-panel figures put their legend outside the Axes: give them a Figure with ``layout="constrained"``
(as :func:`new_figure` makes) so that the legends get room; :func:`save` keeps your Figure's layout.

===============================  =====================  =========================================================
function                         draws into             what
===============================  =====================  =========================================================
``margins(traj, fig)``           Figure                 y f - 1 on strong steps, per seed, a panel per setting
``coefficients(traj, fig)``      Figure                 max abs gamma (linear) and max abs zeta (log) over time
``accuracy(traj, ax)``           Axes                   final train / test / weak-only accuracy against eta
``sharpness(traj, fig)``         Figure                 eta times the top Hessian eigenvalue over time
``verdict(v, fig)``              Figure                 a claim's evidence (None where it has none to draw)
``assumption_map(amap, crit,     Axes                   Assumption 4's fraction and weak-only accuracy over eta
ax)``
``bifurcation(ax, m, u_norm)``   Axes                   attractor of the derived strong map with its thresholds
``growth(etas, rates, ax)``      Axes                   derived weak growth log(G_2)/2 against measured rates
``phase_map(store, x, y, fig)``  Figure                 a sweep store's maps (or lines) with derived boundaries
===============================  =====================  =========================================================
"""

from __future__ import annotations

from benosc.figstyle import new_figure, save, style
from benosc.simulate.figures import draw_accuracy as accuracy
from benosc.simulate.figures import draw_coefficients as coefficients
from benosc.simulate.figures import draw_margins as margins
from benosc.simulate.figures import draw_sharpness as sharpness
from benosc.theory.figures import draw_bifurcation as bifurcation
from benosc.theory.figures import draw_growth as growth
from benosc.verify.figures import draw_assumption_map as assumption_map
from benosc.verify.figures import draw_verdict as verdict
from benosc.verify.phasemap import draw_map_figure as phase_map

__all__ = [
    "margins",
    "coefficients",
    "accuracy",
    "sharpness",
    "verdict",
    "assumption_map",
    "bifurcation",
    "growth",
    "phase_map",
    "style",
    "new_figure",
    "save",
]
