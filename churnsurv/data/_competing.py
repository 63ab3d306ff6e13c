"""Competing churn reasons with drivers of their own, for :func:`~churnsurv.simulate_customers`
(private): the reasons' cause-specific hazards, the latent-times draw and the true cumulative
incidence of each reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["competing_times", "reason_hazards", "reason_incidence"]


def reason_hazards(
    reason_effects: Mapping[str, Mapping[str, float]] | None,
    reason_shapes: Mapping[str, float] | None,
    shares: Mapping[str, float],
    beta: pd.Series,
    baseline: str,
    params: Mapping[str, Any],
) -> dict[str, dict[str, Any]] | None:
    """Per reason: its share, Weibull shape and log hazard ratios (None: proportional reasons)."""
    from churnsurv.data.simulate import DEFAULT_EFFECTS, _effects, _number

    if reason_effects is None and reason_shapes is None:
        return None
    for name, given in (("reason_effects", reason_effects), ("reason_shapes", reason_shapes)):
        unknown = sorted(set(given or {}) - set(shares))
        if unknown:
            raise ValueError(f"{name} names unknown reasons {unknown}; reasons: {list(shares)}")
    if reason_shapes and baseline != "weibull":
        raise ValueError("reason_shapes needs baseline='weibull' (a Weibull shape per reason)")
    out = {}
    for reason, share in shares.items():
        extra = _effects(
            {**dict.fromkeys(DEFAULT_EFFECTS, 0.0), **(reason_effects or {}).get(reason, {})}
        )
        shape = (reason_shapes or {}).get(reason, params.get("shape"))
        if shape is not None:
            shape = _number(f"reason_shapes[{reason!r}]", shape)
        out[reason] = {"share": share, "shape": shape, "coefficients": beta + extra}
    return out


def competing_times(
    latent: np.ndarray,
    design: Mapping[str, Any],
    frailty: np.ndarray,
    hazards: Mapping[str, Mapping[str, Any]],
    baseline: str,
    params: Mapping[str, Any],
) -> tuple[np.ndarray, np.ndarray]:
    """Churn time and reason as the first of independent latent times, one per reason, each
    with its cause-specific hazard ``z * share_k * h0_k(t) * exp(x'beta_k)``."""
    from churnsurv.data.simulate import _inverse_cumulative_hazard

    times = np.full(latent.shape, np.inf)
    for k, spec in enumerate(hazards.values()):
        if spec["share"] <= 0:
            continue
        eta = sum(c * np.asarray(design[term], float) for term, c in spec["coefficients"].items())
        p = dict(params) if spec["shape"] is None else {**params, "shape": spec["shape"]}
        with np.errstate(divide="ignore", over="ignore"):
            h = latent[k] / (frailty * spec["share"] * np.exp(eta))
            times[k] = _inverse_cumulative_hazard(baseline, p, h)
    return times.min(axis=0), times.argmin(axis=0)


def reason_incidence(truth: Mapping[str, Any], t: Any, *, n_grid: int = 4001) -> pd.DataFrame:
    """True cumulative incidence of each reason of a simulation, for the reference customer.

    See :meth:`churnsurv.data.simulate.SimulatedBase.reason_incidence`.
    """
    from churnsurv.data.simulate import _cumulative_hazard

    times = np.atleast_1d(np.asarray(t, dtype=float))
    if np.any(times < 0):
        raise ValueError(f"t must be >= 0 months; got {t!r}")
    shares = truth["reason_shares"]
    hazards = truth.get("reason_hazards")
    if hazards is None:
        f = 1.0 - np.exp(-_cumulative_hazard(truth["baseline"], truth["baseline_params"], times))
        return pd.DataFrame(
            {r: share * f for r, share in shares.items()}, index=pd.Index(times, name="month")
        )
    grid = np.linspace(0.0, float(times.max()), n_grid)
    cum = {}
    for r, spec in hazards.items():
        p = dict(truth["baseline_params"])
        if spec["shape"] is not None:
            p["shape"] = spec["shape"]
        cum[r] = spec["share"] * _cumulative_hazard(truth["baseline"], p, grid)
    surv = np.exp(-sum(cum.values()))
    out = {}
    for r, h in cum.items():
        dh = np.diff(h)  # exact hazard increments; S at the midpoint by its geometric mean
        s_mid = np.sqrt(surv[:-1] * surv[1:])
        f = np.concatenate([[0.0], np.cumsum(dh * s_mid)])
        out[r] = np.interp(times, grid, f)
    return pd.DataFrame(out, index=pd.Index(times, name="month"))
