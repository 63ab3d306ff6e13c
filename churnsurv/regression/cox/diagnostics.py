"""Proportional-hazards diagnostics of a fitted Cox model: functions of its
:class:`~.fitted.CoxFit`.

The ``cox.zph`` score test per term and globally, and scaled Schoenfeld residuals with the
panels their plot draws. The numerical work is in :mod:`churnsurv.regression.cox.phtest`, on the
risk sets the fit built (the reference implementation, which rebuilds them, is in
:mod:`churnsurv.regression.cox.likelihood`); the test, the residuals and the information matrix
are computed once per fit and transform (``CoxTraining.memo``): the report's check, its remedy
and each residual panel reuse them. :class:`~churnsurv.CoxModel` exposes these as methods (and
turns a violation into one warning).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._validation import check_choice
from churnsurv.regression.cox import phtest
from churnsurv.regression.cox.fitted import CoxFit, CoxTraining

__all__ = ["TRANSFORMS", "schoenfeld_panels", "schoenfeld_residuals", "time_transform", "zph"]

TRANSFORMS = ("km", "rank", "identity", "log")


def _memo(fit: CoxFit, key: tuple, compute: Callable[[], object]):
    """``compute()`` once per fit, ``key`` and coefficients (kept in ``fit.train.memo``)."""
    full = (*key, fit.beta.tobytes())
    memo = fit.train.memo
    if full not in memo:
        memo[full] = compute()
    return memo[full]


def _information(fit: CoxFit) -> np.ndarray:
    """Minus the Hessian of the log partial likelihood at the fitted coefficients."""
    return _memo(fit, ("information",), lambda: -fit.train.risk_sets().evaluate(fit.beta)[2])


def time_transform(train: CoxTraining, transform: str) -> Callable[[np.ndarray], np.ndarray]:
    """The time scale ``g(t)`` of the PH test, as a function of event times (R ``cox.zph``).

    As R ``survival`` 3.x computes ``zph$x`` (``R/cox.zph.R``):

    * ``"km"``: ``1 - KM(t-)``, the left-continuous Kaplan-Meier of all rows (counting process
      with entry times), **without** the case weights: R calls ``survfitKM`` without them, so a
      weighted fit's test uses the unweighted curve (the weights do enter the test statistic;
      ``tests/reference/coxzph.json``, ``km_transform_check``);
    * ``"rank"``: ``rank(y[, ny - 1])``, the rank of the time among the follow-up (stop) times of
      **all** rows, censored ones included, ties averaged -- not among the event times only;
    * ``"identity"``: ``t``; ``"log"``: ``log t``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> g = time_transform(cs.CoxModel("Contract").fit(data).fit_state_.train, "km")
    >>> round(float(g(1.0)), 4)
    0.0
    >>> float(time_transform(cs.CoxModel("Contract").fit(data).fit_state_.train, "rank")(1.0))
    318.0
    """
    check_choice("transform", transform, TRANSFORMS)
    if transform == "identity":
        return lambda t: np.asarray(t, float)
    if transform == "log":
        return lambda t: np.log(np.asarray(t, float))
    if transform == "rank":  # average rank among all rows' times (R: rank(y[, ny - 1]))
        all_t = np.sort(train.time)
        return lambda t: (
            (np.searchsorted(all_t, t, "left") + np.searchsorted(all_t, t, "right") + 1) / 2
        )
    # R's km transform ignores the case weights; S(t-) = product over event times < t
    times, km_left = phtest.kaplan_meier_left(train.time, train.event, train.entry)
    return lambda t: 1 - km_left[np.searchsorted(times, t, side="left")]


def zph(fit: CoxFit, transform: str = "km") -> pd.DataFrame:
    """``cox.zph`` score tests: rows are terms then ``GLOBAL``; ``chisq``, ``df``, ``p_value``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> zph(cs.CoxModel("gender").fit(data).fit_state_).round(3).loc["GLOBAL"].tolist()
    [1.826, 1.0, 0.177]
    """
    check_choice("transform", transform, TRANSFORMS)
    return _memo(fit, ("zph", transform), lambda: _zph(fit, transform)).copy()


def _zph(fit: CoxFit, transform: str) -> pd.DataFrame:
    g_of_time = time_transform(fit.train, transform)
    names = list(fit.design.terms)
    chisq, glob = phtest.zph_statistics(
        fit.train.risk_sets(), fit.beta, g_of_time, [fit.design.terms[t] for t in names]
    )
    dfs = [len(fit.design.terms[t]) for t in names] + [len(fit.params)]
    out = pd.DataFrame(
        {"chisq": np.r_[chisq, glob], "df": dfs},
        index=pd.Index(names + ["GLOBAL"], name="term"),
    )
    out["p_value"] = stats.chi2.sf(out["chisq"], out["df"])
    out.attrs["transform"] = transform
    return out


def schoenfeld_residuals(
    fit: CoxFit, *, scaled: bool = True, transform: str = "km"
) -> pd.DataFrame:
    """Scaled (or raw) Schoenfeld residuals, one row per churn event, with ``time`` and ``g``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> schoenfeld_residuals(cs.CoxModel("SeniorCitizen").fit(data).fit_state_).shape
    (1869, 3)
    """
    check_choice("transform", transform, TRANSFORMS)
    key = ("schoenfeld", bool(scaled), transform)
    return _memo(fit, key, lambda: _schoenfeld(fit, scaled, transform)).copy()


def _schoenfeld(fit: CoxFit, scaled: bool, transform: str) -> pd.DataFrame:
    res, times, rows = _memo(
        fit, ("schoenfeld",), lambda: phtest.schoenfeld(fit.train.risk_sets(), fit.beta)
    )
    if scaled:
        res = fit.beta + len(res) * res @ np.linalg.inv(_information(fit))
    out = pd.DataFrame(res, columns=fit.design.columns)
    out["time"] = times
    out["g"] = time_transform(fit.train, transform)(times)
    out.attrs["transform"] = transform
    # taken from the index itself: ids held by Arrow stay there (np.asarray would make a Python
    # string of every customer's id first: 0.7 GB at 10,000,000 customers)
    out.index = pd.Index(fit.train.index).take(rows).rename("id")
    return out


def schoenfeld_panels(fit: CoxFit, residuals: pd.DataFrame, terms: list[str]) -> list[tuple]:
    """What R's ``plot(cox.zph(fit))`` draws, per term (for ``plotting.cox.plot_schoenfeld``).

    Each panel is ``(label, g, residuals, smooth, log_hr, band, ticks)``: the scaled residuals
    on the transformed time ``g``; ``smooth`` a (40, 2) array of ``g`` and the natural-spline
    fit (``splines::ns(df = 4, intercept = TRUE)``, knots at the thirds); ``band`` a (40, 2)
    array of the fit ∓ 2 SE, with SE² = ``zph$var[i, i]`` × the spline's hat diagonal, as
    ``survival:::plot.cox.zph`` (survival 3.5); ``ticks`` the tenure axis: ``(positions on g,
    tenure labels)`` at 8 rounded tenures (R's axis), or None for ``transform="identity"``.
    The numbers are checked against R in ``tests/reference/coxzph_plot.R``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> fit = cs.CoxModel("SeniorCitizen").fit(data).fit_state_
    >>> panel = schoenfeld_panels(fit, schoenfeld_residuals(fit), ["SeniorCitizen"])[0]
    >>> panel[0], panel[3].shape, panel[5].shape, panel[6][1][:4]
    ('SeniorCitizen', (40, 2), (40, 2), ['1.5', '3.2', '8.1', '16'])
    """
    g, times = residuals["g"].to_numpy(float), residuals["time"].to_numpy(float)
    grid, hat_diag, coef_of = _spline_smoother(g)
    # R's zph$var: n_events x var(beta)
    var = len(residuals) * np.diag(np.linalg.inv(_information(fit)))
    ticks = None if residuals.attrs.get("transform") == "identity" else _time_ticks(g, times)
    panels = []
    for t in terms:
        if t not in residuals.columns:
            raise ValueError(f"term {t!r} is not in the model; terms: {fit.design.columns}")
        r = residuals[t].to_numpy(float)
        fitted = coef_of(r)
        half = 2.0 * np.sqrt(var[fit.design.columns.index(t)] * hat_diag)
        band = np.c_[fitted - half, fitted + half]
        panels.append(
            (fit.design.label(t), g, r, np.c_[grid, fitted], float(fit.params[t]), band, ticks)
        )
    return panels


def _natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Natural cubic spline basis with these knots, intercept included (ESL eq. 5.4-5.5).

    It spans the space of R's ``ns(x, knots = inner, Boundary.knots = outer, intercept = TRUE)``,
    so least-squares fits and their hat values agree with R's.
    """
    last = knots[-1]

    def d(k: int) -> np.ndarray:
        return (np.maximum(x - knots[k], 0.0) ** 3 - np.maximum(x - last, 0.0) ** 3) / (
            last - knots[k]
        )

    extra = [d(k) - d(len(knots) - 2) for k in range(len(knots) - 2)]
    return np.column_stack([np.ones_like(x), x, *extra])


def _spline_smoother(g: np.ndarray, n_grid: int = 40, df: int = 4):
    """Grid, hat diagonal on the grid and the fitting function of R's ``plot.cox.zph`` spline."""
    lo, hi = float(g.min()), float(g.max())
    grid = np.linspace(lo, hi, n_grid)
    scale = hi - lo if hi > lo else 1.0
    both = (np.concatenate([grid, g]) - lo) / scale
    knots = np.quantile(both, np.linspace(0.0, 1.0, df))  # boundary and df - 2 inner knots
    basis = _natural_spline_basis(both, knots)
    P, X = basis[:n_grid], basis[n_grid:]
    q, r = np.linalg.qr(X)
    r_inv = np.linalg.inv(r)
    hat_diag = np.sum((P @ r_inv) ** 2, axis=1)  # diag(P (X'X)^-1 P')

    def coef_of(y: np.ndarray) -> np.ndarray:
        return P @ (r_inv @ (q.T @ y))

    return grid, hat_diag, coef_of


def _time_ticks(g: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """R's tenure axis of ``plot.cox.zph``: 8 tenures rounded to 2 significant digits."""
    g_u, first = np.unique(g, return_index=True)
    t_u = times[first]
    at = np.linspace(g.min(), g.max(), 17)[1::2]
    labels = np.array([float(f"{v:.2g}") for v in np.interp(at, g_u, t_u)])
    order = np.argsort(t_u, kind="stable")
    positions = np.interp(labels, t_u[order], g_u[order])
    return positions, [f"{v:g}" for v in labels]
