"""Win-back: how likely lapsed customers return, how soon, and whether an effort pays (issue 15).

The data are churned customers, with the time from churn to their return (``event`` = returned)
or to the analysis date (censored). :func:`win_back` estimates per value tier the Kaplan–Meier
probability of returning within each horizon, ``P(return ≤ h) = 1 - S(h)`` with its confidence
limits from the curve's band, the conditional probability by time already lapsed,
``P(return ≤ t + h | not back by t) = 1 - S(t + h) / S(t)``, and the expected value of a
win-back effort per tier, ``P(return ≤ h) × value - cost``, with limits from those of the
probability. Claims such as "1 in 4 lapsed customers can be won back" can be checked this way on
one's own data. The effect of tiers or other covariates on the time to return is a Cox model
(``formula=``). Repeated churn and return episodes belong in an Andersen–Gill model: one row per
active spell with entry at its start, ``CoxModel(robust=True).fit(data, cluster=customer)``
(shown in notebook ``08-hotel-case``); its clustered standard errors equal R ``coxph``'s
(``tests/experiments/test_winback.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from churnsurv._render import Result, fmt
from churnsurv._typing import ArrayLike, Columns
from churnsurv._validation import as_list, check_conf_level, check_horizon
from churnsurv.data import ChurnData
from churnsurv.exceptions import DataValidationError
from churnsurv.km import KaplanMeier
from churnsurv.regression import CoxModel

__all__ = ["WinBack", "win_back"]


def _per_segment(spec, name: str, data: ChurnData, by: list[str], labels: list[str]):
    """A constant, a column (mean per segment) or a mapping segment -> value."""
    if spec is None:
        return dict.fromkeys(labels, np.nan)
    if isinstance(spec, str):
        data.require_columns([spec], purpose=f"win-back {name}", numeric=True)
        if not by:
            return {lab: float(data.frame[spec].mean()) for lab in labels}
        key = data.frame[by].astype(str).agg(" / ".join, axis=1)
        means = data.frame[spec].groupby(key).mean()
        return {lab: float(means[lab]) for lab in labels}
    if isinstance(spec, Mapping):
        missing = [lab for lab in labels if lab not in {str(k) for k in spec}]
        if missing:
            raise DataValidationError(
                f"{name}: no value for segment(s) {missing}.", column=name, rule="missing segment"
            )
        return {lab: float({str(k): v for k, v in spec.items()}[lab]) for lab in labels}
    return dict.fromkeys(labels, float(spec))


class WinBack(Result):
    """Return probabilities and the expected value of a win-back effort per segment.

    Attributes
    ----------
    summary : pandas.DataFrame
        Per segment and horizon: ``segment``, ``horizon``, ``n``, ``returned`` (observed
        returns), ``p_return``, ``ci_lower``, ``ci_upper``, ``value``, ``cost``,
        ``expected_value`` (= p_return × value − cost), ``ev_lower``, ``ev_upper``.
    km : KaplanMeier
        Time to return per segment.
    cox : CoxModel or None
        Fitted when ``formula`` was given.
    """

    _title = "Win-back"

    def __init__(self, summary: pd.DataFrame, km: KaplanMeier, cox: CoxModel | None) -> None:
        self.summary, self.km, self.cox = summary, km, cox

    def conditional(self, since: ArrayLike, within: float) -> pd.DataFrame:
        """P(return within ``within`` more periods | not back after ``since`` periods).

        Examples
        --------
        >>> import churnsurv as cs
        >>> sim = cs.simulate_hotel(n=2000, rng=2)
        >>> data = cs.prepare(sim.returns, duration="months_since_churn", event="returned",
        ...                   covariates=["tier", "margin"])
        >>> wb = cs.win_back(data, by="tier", horizons=[6])
        >>> c = wb.conditional([0, 6], within=3)
        >>> bool((c.groupby("segment")["p_return"].diff().dropna() < 0).all())
        True
        """
        t = np.atleast_1d(np.asarray(since, dtype=float))
        s_t = self.km.survival_at(t)
        s_h = self.km.survival_at(t + float(within))
        out = s_t[["segment", "time"]].rename(columns={"time": "since"})
        out["within"] = float(within)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["p_return"] = 1 - s_h["survival"].to_numpy() / s_t["survival"].to_numpy()
        return out

    def _note(self) -> str:
        level = self.summary.attrs.get("conf_level", 0.95)
        return f"expected_value = p_return x value - cost; limits at conf_level {fmt(level)}."


def win_back(
    data: ChurnData,
    *,
    by: Columns = None,
    horizons: ArrayLike,
    value: float | str | Mapping[str, float] | None = None,
    cost: float | Mapping[str, float] = 0.0,
    formula: str | None = None,
    conf_level: float = 0.95,
) -> WinBack:
    """Return probability and the expected value of a win-back effort, per segment.

    Parameters
    ----------
    data : ChurnData
        Churned customers: ``duration`` = time from churn to return or to the analysis date,
        ``event`` = returned.
    by : str or list of str, optional
        Segments (e.g. the value tier).
    horizons : array-like
        Times since churn at which to read the return probability.
    value : float, str or mapping segment -> float, optional
        Value of a customer won back (e.g. the margin over the periods expected after the
        return): a constant, a column (its mean per segment) or one value per segment.
    cost : float or mapping segment -> float, default 0
        Cost of one win-back attempt per customer.
    formula : str, optional
        A Cox model of the time to return, e.g. ``"tier"``.
    conf_level : float, default 0.95

    Returns
    -------
    WinBack

    Examples
    --------
    >>> import churnsurv as cs
    >>> sim = cs.simulate_hotel(n=4000, rng=2)
    >>> data = cs.prepare(sim.returns, duration="months_since_churn", event="returned",
    ...                   covariates=["tier", "margin"])
    >>> wb = cs.win_back(data, by="tier", horizons=[12], value={"high": 900, "standard": 300},
    ...                  cost=50)
    >>> wb.summary[["segment", "p_return"]].round(2).values.tolist()
    [['high', 0.37], ['standard', 0.2]]
    >>> wb.summary["expected_value"].round(0).tolist()
    [283.0, 11.0]
    """
    conf_level = check_conf_level(conf_level)
    hs = [check_horizon(h, name="horizons", whole=False) for h in np.atleast_1d(horizons).tolist()]
    by_cols = as_list(by)
    km = KaplanMeier(conf_level=conf_level).fit(data, by=by or None)
    surv = km.survival_at(hs)
    labels = list(km.median_.index)
    values = _per_segment(value, "value", data, by_cols, labels)
    costs = _per_segment(cost, "cost", data, by_cols, labels)
    totals = km.curves_.groupby("segment")["events"].sum()
    sizes = km.at_risk([0.0]).set_index("segment")["at_risk"]
    seg = surv["segment"]
    p = 1 - surv["survival"].to_numpy()
    lo, hi = 1 - surv["ci_upper"].to_numpy(), 1 - surv["ci_lower"].to_numpy()
    v = seg.map(values).to_numpy(dtype=float)
    c = seg.map(costs).to_numpy(dtype=float)
    summary = pd.DataFrame(
        {
            "segment": seg,
            "horizon": surv["time"],
            "n": seg.map(sizes).to_numpy(),
            "returned": seg.map(totals).to_numpy(),
            "p_return": p,
            "ci_lower": lo,
            "ci_upper": hi,
            "value": v,
            "cost": c,
            "expected_value": p * v - c,
            "ev_lower": lo * v - c,
            "ev_upper": hi * v - c,
        }
    )
    summary.attrs["conf_level"] = conf_level
    cox = CoxModel(formula, conf_level=conf_level).fit(data) if formula else None
    return WinBack(summary, km, cox)
