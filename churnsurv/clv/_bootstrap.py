"""Bootstrap percentile intervals of CLV: customers resampled, the model refitted.

Private helpers of :func:`~churnsurv.clv.clv` (``ci=True``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from churnsurv.clv._valuation import (
    _customer_values,
    _is_km,
    _resolve_margin,
    _segment_values,
    _splice,
    _weighted,
)
from churnsurv.data import ChurnData
from churnsurv.km.counts import CountTable, product_limit

#: Fit-time settings that always name columns, never one value per row.
_COLUMN_PARAMS = frozenset({"by"})


def _refit(model, sample: ChurnData, positions: np.ndarray):
    """The same model, with every fit-time setting (``fit_params_``), fitted to a resample.

    Constructor settings travel with the copy; fit-time settings (``by``, case weights,
    clusters) are repeated, and those given as one value per row are resampled with the rows.
    """
    params = dict(getattr(model, "fit_params_", {}))
    for key, value in params.items():
        # ``by`` always names columns (a name or a list of names); other settings are a column
        # name or one value per row
        if key not in _COLUMN_PARAMS and value is not None and not isinstance(value, str):
            params[key] = np.asarray(value)[positions]
    return copy.copy(model).fit(sample, **params)


def _bootstrap(model, data, index, how, n_boot, conf_level, rng, progress, *, fast=True):
    """Percentile interval of each value: customers resampled, the model refitted.

    Each resample draws ``data.n`` row positions (``rng.integers(0, n, n)``). A Kaplan-Meier
    valuation takes the fast path (:class:`_KMResampler`) when it can give the values of the
    refit exactly; ``fast=False`` forces the generic refit (the tests' reference).
    """
    rng = np.random.default_rng(rng)
    value_of: Callable[[np.ndarray], pd.Series] | None = (
        _KMResampler.create(model, data, how) if fast else None
    )
    if value_of is None:
        value_of = partial(_refit_values, model, data, how, _is_km(model))
    iterator: Callable = range
    if progress:
        from tqdm.auto import trange

        iterator = trange
    boot = np.empty((int(n_boot), len(index)))
    for b in iterator(int(n_boot)):
        idx = rng.integers(0, data.n, data.n)
        boot[b] = value_of(idx).reindex(index).to_numpy(dtype=float)
    lower = np.nanquantile(boot, (1 - conf_level) / 2, axis=0)
    upper = np.nanquantile(boot, (1 + conf_level) / 2, axis=0)
    return lower, upper


def _refit_values(model, data, how, is_km: bool, idx: np.ndarray) -> pd.Series:
    """CLV under the model refitted to the rows ``idx`` of ``data`` (the generic path)."""
    sample = data.take(idx)
    fit = _refit(model, sample, idx)
    if is_km:
        return _segment_values(fit, sample, how)["clv"]
    # per-customer values of the ORIGINAL customers under the refitted model
    return _customer_values(fit, data, how)["clv"]


class _KMResampler:
    """CLV by segment of a Kaplan-Meier refit to a resample, from integer arrays.

    What :func:`_refit_values` computes with ``data.take`` of every column, a
    :class:`~churnsurv.KaplanMeier` refit (grouping the segment labels again) and one
    ``data.take`` per segment, computed here from codes made once: each row's cell
    (segment, distinct tenure, churned) as one integer. A resample is the number of times
    each customer was drawn (one ``np.bincount`` of the positions); its count tables are a
    weighted ``np.bincount`` of the cells by those numbers, and its segments' margin totals
    another, both sequential passes (gathering columns at random positions costs more). The
    curves come from the same product-limit code the estimator uses
    (:func:`churnsurv.km.counts.product_limit`, on the same whole-number counts, so the same
    numbers), a segment's mean margin is its margin total over its size (summed in another
    order: equal to about 1e-13), and a parametric tail is averaged over the segment's
    distinct resampled customers weighted by how often each was drawn.

    Only for fits it reproduces exactly: an unweighted :class:`~churnsurv.KaplanMeier`
    without entry times, on segment columns without missing values (:meth:`create` returns
    None otherwise, and the generic refit runs).
    """

    def __init__(self, data, how, codes: np.ndarray, labels, margin) -> None:
        self.data, self.how, self.codes = data, how, codes
        self.str_labels, self.repr_labels = labels
        self.n_groups = len(self.str_labels)
        self.factor, self.schedule = margin
        self.times, tcode = np.unique(data.durations, return_inverse=True)
        self.n_cells = 2 * self.n_groups * self.times.size
        dtype = np.int32 if self.n_cells < np.iinfo(np.int32).max else np.int64
        # cell = (segment * n_times + time) * 2 + churned
        cells = codes.astype(dtype) * dtype(self.times.size) + tcode.astype(dtype)
        self.cells = cells * dtype(2) + data.events.astype(dtype)
        self.parametric_tail = not hasattr(how.tail, "survival") and hasattr(
            how.tail, "predict_survival"
        )

    @classmethod
    def create(cls, model, data, how) -> _KMResampler | None:
        """The resampler for ``model``, or None when the fast path cannot be exact."""
        from churnsurv.km.counts import group_codes
        from churnsurv.km.estimator import KaplanMeier

        params = getattr(model, "fit_params_", {})
        if (
            type(model) is not KaplanMeier
            or set(params) != {"by", "weights"}
            or params["weights"] is not None
            or data.has_entry
        ):
            return None
        by = list(model.by_)
        codes, values, _, _ = group_codes(data.frame, by)
        if codes is None:
            codes, labels = np.zeros(data.n, dtype=np.int64), (["all"], ["all"])
        elif codes.min() < 0:  # a missing segment value: left to the estimator
            return None
        else:
            rows = list(values.itertuples(index=False))
            labels = (
                [" / ".join(map(str, r)) for r in rows],
                [" / ".join(map(repr, r)) for r in rows],
            )
        margin = _resolve_margin(how.margin, data, how.grid.size, how.allow_negative)
        return cls(data, how, np.asarray(codes), labels, margin)

    def __call__(self, idx: np.ndarray) -> pd.Series:
        """CLV per segment present in the resample ``idx`` (indexed by segment label)."""
        # how often each customer was drawn: one scattered pass, then sequential ones (a
        # gather of every column at ``idx`` costs more than the counting itself)
        drawn = np.bincount(idx, minlength=self.data.n).astype(float)
        counts = np.bincount(self.cells, weights=drawn, minlength=self.n_cells)  # whole numbers
        counts = counts.reshape(self.n_groups, self.times.size, 2)
        sizes = counts.sum(axis=(1, 2))
        present = np.flatnonzero(sizes > 0)
        factor = self.factor
        if np.ndim(factor):  # per-customer margins: each segment's mean in the resample
            drawn *= factor
            totals = np.bincount(self.codes, weights=drawn, minlength=self.n_groups)
            factor = np.divide(totals, sizes, out=np.zeros_like(totals), where=sizes > 0)
        labels = self._labels(present)
        how, values = self.how, np.empty(present.size)
        for i, g in enumerate(present):
            times, surv = self._curve(counts[g])
            members = partial(self._members, int(g), idx)
            s = _splice(times, surv, how.grid, how.tail, members, f"segment {labels[i]!r}")
            f = factor[g] if np.ndim(factor) else factor
            values[i] = _weighted(s[None, :], how.disc, f, self.schedule)[0][0]
        return pd.Series(values, index=pd.Index(labels, dtype=object))

    def _labels(self, present: np.ndarray) -> list[str]:
        """Segment labels as :func:`~churnsurv.km.counts.group_codes` names the groups present
        (the values' text, or their ``repr`` when two texts coincide)."""
        labels = [self.str_labels[g] for g in present]
        if len(set(labels)) < len(labels):
            labels = [self.repr_labels[g] for g in present]
        return labels

    def _curve(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Times and Kaplan-Meier survival of one segment from its (time, churned) counts."""
        rows = np.flatnonzero(cells.sum(axis=1) > 0)
        empty = np.zeros(0)
        table = CountTable(
            times=self.times[rows].astype(float),
            events=cells[rows, 1],
            censored=cells[rows, 0],
            entry_times=empty,
            entry_weights=empty,
            n_rows=int(cells.sum()),
        )
        return table.times, product_limit(table)["survival"]

    def _members(self, g: int, idx: np.ndarray):
        """The distinct customers of segment ``g`` in the resample and how often each was
        drawn: what a parametric tail is averaged over (nothing for a marginal tail)."""
        if not self.parametric_tail:
            return None, None
        rows, drawn = np.unique(idx[self.codes[idx] == g], return_counts=True)  # sorted rows
        return self.data.take(rows), drawn
