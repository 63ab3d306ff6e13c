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
share it). Where the Cox curve ends it is continued by the splice
``S(t) = S(t_last) S_tail(t) / S_tail(t_last)``; ``t_last`` depends only on the (stratum,
tenure) group, so the splice is folded into per-group tables (:func:`_spliced_tables`) and
each block is a gather, one ``exp`` and one product. Any other model or tail (a parametric
model, per customer) is predicted block by block through its ``predict_survival``.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
    from churnsurv.regression.cox.predict import CoxCurves

    curves = CoxCurves(model.fit_state_, data.frame, times, conditional=conditional)
    if tail is None or not (np.isnan(curves.increments).any() or curves.churned.any()):
        yield from curves.blocks(size)  # nothing to continue (or no tail: NaN kept)
        return
    scale_at, ratio, ext = _spliced_tables(curves, times, tail)
    buffer = np.empty((min(size, curves.n), times.size))
    chunk = max(1, _CHUNK_CELLS // max(times.size, 1))

    def fill(surv: np.ndarray, start: int, lo: int, hi: int) -> None:
        """Rows ``lo:hi`` of the block that starts at row ``start``, a chunk at a time."""
        for a in range(lo, hi, chunk):
            b = min(a + chunk, hi)
            block, group = surv[a - start : b - start], curves.group[a:b]
            np.take(scale_at, group, axis=0, out=block)
            block *= curves.scale[a:b, None]
            np.exp(block, out=block)
            block *= ratio[group]

    with ThreadPoolExecutor(max_workers=max(THREADS - 1, 1)) as pool:
        for start in range(0, curves.n, size):
            rows = slice(start, min(start + size, curves.n))
            surv = buffer[: rows.stop - start]
            _in_parts(pool, fill, surv, rows, chunk)
            churned = np.flatnonzero(curves.churned[rows])
            if churned.size:  # no curve of their own: the tail from their tenure, as splice_rows
                surv[churned] = ext[curves.group[rows][churned]]
            yield rows, surv


def _in_parts(pool: ThreadPoolExecutor, fill, surv: np.ndarray, rows: slice, chunk: int) -> None:
    """``fill`` the block's rows in :data:`THREADS` parts of whole chunks at once: numpy's
    gather, product and ``exp`` release the GIL, and each row's cells are computed alone, so
    the numbers are those of one thread."""
    start, stop = rows.start, rows.stop
    chunks = -(-(stop - start) // chunk)
    parts = min(THREADS, chunks)
    cuts = [start + chunk * (chunks * k // parts) for k in range(parts)] + [stop]
    futures = [
        pool.submit(fill, surv, start, lo, hi) for lo, hi in zip(cuts[1:-1], cuts[2:], strict=True)
    ]
    fill(surv, start, cuts[0], cuts[1])
    for future in futures:
        future.result()


#: Threads that fill a block of customers' curves (1: all in the calling thread).
THREADS = 2
#: Cells of a chunk of the per-customer fill (2 MB of float64: stays in cache).
_CHUNK_CELLS = 1 << 18


def _spliced_tables(curves, times: np.ndarray, tail) -> tuple[np.ndarray, ...]:
    """Per (stratum, tenure) group of ``curves``: the splice of :func:`splice_rows` folded
    into the tables the customers' curves are gathered from.

    A customer's curve is ``exp(-exp(lp) H)`` with ``H`` the group's increments; where ``H``
    is NaN (past the stratum's follow-up) it continues from the group's last finite cell ``j``
    as ``S(j) ext(t) / ext(j)``. So ``H`` there is replaced by ``H(j)`` and the curve multiplied
    by ``ratio = ext(t) / ext(j)`` (1 elsewhere): one gather and one product per cell instead
    of finding each customer's NaN cells. ``ext`` is the tail from the group's tenure.
    """
    from churnsurv.clv._valuation import _tail_survival

    inc = curves.increments
    tenure = np.empty(inc.shape[0])
    tenure[curves.group] = curves.tenure  # every customer of a group has its tenure
    absolute = tenure[:, None] + times[None, :]
    ext = _tail_survival(tail, absolute.ravel(), None).reshape(absolute.shape)
    missing = np.isnan(inc)
    finite = ~missing
    last = np.where(finite.any(axis=1), inc.shape[1] - 1 - np.argmax(finite[:, ::-1], axis=1), -1)
    groups = np.arange(inc.shape[0])
    h_last = np.where(last >= 0, inc[groups, np.maximum(last, 0)], 0.0)
    e_last = np.where(last >= 0, ext[groups, np.maximum(last, 0)], 1.0)
    scale_at = np.where(missing, h_last[:, None], inc)
    ratio = np.where(missing, ext / e_last[:, None], 1.0)
    return scale_at, ratio, ext
