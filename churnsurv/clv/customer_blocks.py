"""Per-customer survival for valuation, a block of customers at a time (private).

:func:`survival_blocks` gives the survival curves that :func:`~churnsurv.clv` (per customer)
and :func:`~churnsurv.value_at_risk` weigh, continued with a ``tail`` where the model's own
curve ends, for consecutive blocks of customers: the customers x periods matrix of a million
customers is never in memory at once.

For a Cox model with a marginal tail (a survival curve as a Series, a ShiftedBetaGeometric
fit) or none, the work that does not depend on the customer is done once: the linear
predictor of every customer, the baseline increments per distinct (stratum, tenure)
(:class:`~churnsurv.regression.cox.predict.CoxCurves`) and the tail per distinct tenure (the
tail continues each curve from the customer's own tenure, so customers with the same tenure
share it). Each block is then a gather, one ``exp`` and, where the Cox curve ends, the splice
``S(t) = S(t_last) S_tail(t) / S_tail(t_last)``. Any other model or tail (a parametric model,
per customer) is predicted block by block through its ``predict_survival``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["splice_rows", "survival_blocks"]


def _marginal(tail: Any) -> bool:
    """A tail whose shape is the same for every customer (None: no tail)."""
    return tail is None or isinstance(tail, pd.Series) or callable(getattr(tail, "survival", None))


def _is_cox(model: Any) -> bool:
    return type(model).__name__ == "CoxModel" and getattr(model, "fit_state_", None) is not None


def splice_rows(surv: np.ndarray, missing: np.ndarray, ext: np.ndarray) -> np.ndarray:
    """``surv`` with its ``missing`` cells continued by ``ext`` (same shape), in place.

    Each row continues from its last finite cell ``j``: ``S(t) = S(j) ext(t) / ext(j)``; a row
    with no finite cell is ``ext`` itself.

    Examples
    --------
    >>> surv = np.array([[0.9, 0.8, np.nan, np.nan]])
    >>> ext = np.array([[1.0, 0.5, 0.25, 0.125]])
    >>> splice_rows(surv, np.isnan(surv), ext)
    array([[0.9, 0.8, 0.4, 0.2]])
    """
    finite = ~missing
    last = np.where(
        finite.any(axis=1), finite.shape[1] - 1 - np.argmax(finite[:, ::-1], axis=1), -1
    )
    rows = np.arange(surv.shape[0])
    s_last = np.where(last >= 0, surv[rows, np.maximum(last, 0)], 1.0)
    e_last = np.where(last >= 0, ext[rows, np.maximum(last, 0)], 1.0)
    spliced = (s_last / e_last)[:, None] * ext
    np.copyto(surv, spliced, where=missing)
    return surv


def survival_blocks(
    model: Any, data: Any, times: np.ndarray, *, conditional: bool, tail: Any, size: int
) -> Iterator[tuple[slice, np.ndarray]]:
    """``(rows, survival)`` of consecutive blocks of at most ``size`` customers of ``data``.

    ``survival`` is customers x ``times`` (time from now when ``conditional``, else tenure),
    continued with ``tail`` where the model's curve is NaN; without a tail the NaN cells stay
    (the caller counts them). The array may be reused by the next block.
    """
    if _is_cox(model) and _marginal(tail):
        yield from _cox_blocks(model, data, times, conditional, tail, size)
        return
    from churnsurv.clv._valuation import _spliced  # the general path (any model or tail)

    frame = data.frame
    for start in range(0, len(frame), size):
        rows = slice(start, min(start + size, len(frame)))
        part = data if rows == slice(0, len(frame)) else frame.iloc[rows]  # a view, no copy
        surv = model.predict_survival(part, times=times, conditional=conditional)
        surv = surv.to_numpy(dtype=float)
        missing = np.isnan(surv)
        if tail is not None and missing.any():
            surv = _spliced(surv, missing, part, times, conditional, tail)
        yield rows, surv


def _cox_blocks(model, data, times, conditional, tail, size):
    from churnsurv.clv._valuation import _tail_survival
    from churnsurv.regression.cox.predict import CoxCurves

    curves = CoxCurves(model.fit_state_, data.frame, times, conditional=conditional)
    ext_table: np.ndarray | None = None  # the tail from each distinct tenure, when first needed
    start_code, starts = pd.factorize(curves.tenure)
    for rows, surv in curves.blocks(size):
        missing = np.isnan(surv)
        if tail is None or not missing.any():
            yield rows, surv
            continue
        if ext_table is None:
            absolute = np.asarray(starts, float)[:, None] + times[None, :]
            ext_table = _tail_survival(tail, absolute.ravel(), None).reshape(absolute.shape)
        some = np.flatnonzero(missing.any(axis=1))  # only rows past the follow-up change
        ext = ext_table[start_code[rows][some]]
        surv[some] = splice_rows(surv[some], missing[some], ext)
        yield rows, surv
