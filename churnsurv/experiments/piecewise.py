"""The hazard ratio of an arm per tenure interval: a step time interaction, as R's ``survSplit``.

A single Cox hazard ratio averages an effect that may change sign over tenure (a promotion that
holds customers early and loses them later). Splitting each customer's follow-up at cut points
into episodes ``(start, stop]`` (R ``survSplit``) and giving the arm one coefficient per interval
(``hr_k = treated * (episode in interval k)``) fits the step function of the log hazard ratio
over tenure; it is R's ``coxph(Surv(tstart, time, status) ~ arm:strata(period), data = split)``.
The split panel goes through :func:`churnsurv.prepare_panel` and :class:`churnsurv.CoxModel`, so
the counting-process risk sets are churnsurv's usual ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from churnsurv._render import fmt
from churnsurv._typing import ArrayLike
from churnsurv.data import ChurnData, PanelData, prepare_panel
from churnsurv.exceptions import DataValidationError
from churnsurv.regression import CoxModel

__all__ = ["split_episodes", "piecewise_hazard_ratios"]


def check_cuts(cuts: ArrayLike, *, name: str = "cuts") -> np.ndarray:
    """Validate tenure cut points: finite, > 0, strictly increasing.

    Examples
    --------
    >>> check_cuts([6, 12]).tolist()
    [6.0, 12.0]
    >>> check_cuts([12, 6])
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: cuts=[12.0, 6.0] must be finite, > 0 and ...
    """
    c = np.atleast_1d(np.asarray(cuts, dtype=float))
    if c.ndim != 1 or not np.all(np.isfinite(c)) or np.any(c <= 0) or np.any(np.diff(c) <= 0):
        raise DataValidationError(
            f"{name}={c.tolist()} must be finite, > 0 and strictly increasing tenures.",
            column=name,
            rule="bad cut points",
        )
    return c


def interval_labels(cuts: np.ndarray) -> list[str]:
    """Labels ``(0, c1]``, ``(c1, c2]``, ..., ``(ck, inf)`` of the intervals cut at ``cuts``.

    Examples
    --------
    >>> interval_labels(np.array([6.0, 12.0]))
    ['(0, 6]', '(6, 12]', '(12, inf)']
    """
    edges = [0.0, *cuts.tolist()]
    labels = [f"({fmt(a)}, {fmt(b)}]" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [*labels, f"({fmt(edges[-1])}, inf)"]


def split_episodes(data: ChurnData, cuts: ArrayLike) -> pd.DataFrame:
    """Split each customer's follow-up at tenure cut points, as R ``survSplit``.

    Parameters
    ----------
    data : ChurnData
        One row per customer (entry times are respected: an episode starts at the later of the
        entry and the interval's start).
    cuts : array-like
        Increasing tenures; interval ``k`` is ``(cuts[k-1], cuts[k]]`` (``(0, cuts[0]]`` first).

    Returns
    -------
    pandas.DataFrame
        One row per episode: ``id`` (the customer's position in ``data``), ``start``, ``stop``,
        ``event`` (churn at ``stop``; only on the last episode), ``period`` (1, 2, ...) and
        the carried columns of ``data``.

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> d = cs.prepare(pd.DataFrame({"t": [4.0, 9.0], "e": [1, 0]}), duration="t", event="e")
    >>> split_episodes(d, [3, 6])[["id", "start", "stop", "event", "period"]].values.tolist()
    [[0, 0.0, 3.0, False, 1], [0, 3.0, 4.0, True, 2], [1, 0.0, 3.0, False, 1], [1, 3.0, 6.0, False, 2], [1, 6.0, 9.0, False, 3]]
    """  # noqa: E501
    data.require_customer_rows(purpose="split_episodes")
    c = check_cuts(cuts)
    t = data.durations
    t0 = data.entries if data.has_entry else np.zeros_like(t)
    lo = np.concatenate([[0.0], c])
    hi = np.concatenate([c, [np.inf]])
    # episode (customer i, interval k) exists when the interval overlaps (t0_i, t_i]
    keep = (lo[None, :] < t[:, None]) & (hi[None, :] > t0[:, None])
    i, k = np.nonzero(keep)
    start = np.maximum(lo[k], t0[i])
    stop = np.minimum(hi[k], t[i])
    event = data.events[i] & (stop == t[i])
    carried = data.frame.drop(columns=["duration", "event", "entry"], errors="ignore")
    out = pd.DataFrame(
        {"id": i, "start": start, "stop": stop, "event": event, "period": k + 1},
    )
    extra = carried.iloc[i].reset_index(drop=True)
    extra = extra.drop(columns=[col for col in extra.columns if col in out.columns])
    return pd.concat([out, extra], axis=1)


def piecewise_hazard_ratios(
    data: ChurnData,
    arm: str,
    cuts: ArrayLike,
    *,
    reference: object = None,
    ties: str = "efron",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Hazard ratio of one arm against a reference arm in each tenure interval.

    Fits R's ``coxph(Surv(tstart, time, status) ~ arm:strata(period), data = survSplit(...))``:
    the follow-up is split at ``cuts`` (:func:`split_episodes`) and the arm gets one log hazard
    ratio per interval, with a common baseline hazard.

    Parameters
    ----------
    data : ChurnData
        One row per customer with the ``arm`` column carried.
    arm : str
        Column with exactly two values.
    cuts : array-like
        Increasing tenures that cut the follow-up into intervals.
    reference : scalar, optional
        The reference arm (default: the first value in sorted order).
    ties : {"efron", "breslow"}, default "efron"
    conf_level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per interval (index ``interval``): ``start``, ``stop``, ``events``, ``log_hr``,
        ``std_err``, ``hr``, ``hr_lower``, ``hr_upper``, ``z``, ``p_value``; ``.attrs`` holds
        ``arm``, ``reference``, ``treated`` and ``conf_level``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes", covariates=["PaperlessBilling"])
    >>> hr = piecewise_hazard_ratios(data, "PaperlessBilling", [12, 36])
    >>> hr.index.tolist(), bool((hr["hr"] > 1).all())
    (['(0, 12]', '(12, 36]', '(36, inf)'], True)
    """
    c = check_cuts(cuts)
    reference, treated = two_arms(data, arm, reference)
    episodes = split_episodes(data, c)
    is_treated = (episodes[arm] == treated).to_numpy()
    names = [f"hr_{k}" for k in range(1, len(c) + 2)]
    panel = episodes[["id", "start", "stop", "event"]].copy()
    for k, name in enumerate(names, start=1):
        panel[name] = (is_treated & (episodes["period"].to_numpy() == k)).astype(float)
    events = [int(panel.loc[panel["event"], name].sum()) for name in names]
    empty = [lab for lab, e in zip(interval_labels(c), events, strict=True) if e == 0]
    if empty:
        raise DataValidationError(
            f"no churn in arm {treated!r} during {empty}: the hazard ratio there is not "
            "estimable; use fewer cut points.",
            column=arm,
            rule="empty interval",
        )
    pdata: PanelData = prepare_panel(
        panel, id="id", start="start", stop="stop", event="event", time_unit=data.time_unit
    )
    cox = CoxModel(" + ".join(names), ties=ties, conf_level=conf_level).fit(pdata)
    s = cox.summary
    lo = np.concatenate([[0.0], c])
    hi = np.concatenate([c, [np.inf]])
    out = pd.DataFrame(
        {
            "start": lo,
            "stop": hi,
            "events_treated": events,
            "log_hr": s.loc[names, "log_hr"].to_numpy(),
            "std_err": s.loc[names, "std_err"].to_numpy(),
            "hr": s.loc[names, "hr"].to_numpy(),
            "hr_lower": s.loc[names, "hr_lower"].to_numpy(),
            "hr_upper": s.loc[names, "hr_upper"].to_numpy(),
            "z": s.loc[names, "z"].to_numpy(),
            "p_value": s.loc[names, "p_value"].to_numpy(),
        },
        index=pd.Index(interval_labels(c), name="interval"),
    )
    out.attrs.update(arm=arm, reference=reference, treated=treated, conf_level=conf_level)
    return out


def two_arms(data: ChurnData, arm: str, reference: object = None) -> tuple[object, object]:
    """The (reference, treated) values of a two-arm column; the reference defaults to the first.

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> raw = pd.DataFrame({"t": [1, 2], "e": [1, 0], "arm": ["b", "a"]})
    >>> two_arms(cs.prepare(raw, duration="t", event="e"), "arm")
    ('a', 'b')
    """
    data.require_columns([arm], purpose="comparing arms")
    values: Sequence[object] = sorted(pd.unique(data.frame[arm]), key=str)
    if len(values) != 2:
        raise DataValidationError(
            f"column {arm!r} has {len(values)} arm(s) {list(values)[:5]}; compare exactly two "
            "(filter the data to the pair of arms to compare).",
            column=arm,
            rule="not two arms",
        )
    if reference is None:
        reference = values[0]
    if reference not in values:
        raise DataValidationError(
            f"reference={reference!r} is not an arm of {arm!r}; use one of {list(values)}.",
            column=arm,
            rule="unknown reference arm",
        )
    treated = values[1] if reference == values[0] else values[0]
    return reference, treated
