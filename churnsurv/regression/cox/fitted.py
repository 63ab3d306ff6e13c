"""The fitted state of a Cox model, as explicit data (private).

:class:`CoxTraining` holds the training data the way the likelihood functions read it;
:class:`CoxFit` holds everything a fitted :class:`~churnsurv.CoxModel` knows (design,
coefficients, centring, baseline hazard per stratum, follow-up). Predictions
(:mod:`~churnsurv.regression.cox.predict`) and diagnostics
(:mod:`~churnsurv.regression.cox.diagnostics`) are functions of a ``CoxFit``: they read no private
attribute of the model object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from churnsurv.exceptions import DataValidationError
from churnsurv.regression.cox import likelihood as core
from churnsurv.regression.design import Design

__all__ = ["CoxFit", "CoxTraining", "stratum_labels"]


def _texts(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct texts of ``values.astype(str)``: ``texts[codes]`` is that column."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # each category's text, NaN as "nan"
        codes = values.cat.codes.to_numpy().astype(np.intp)
        texts = np.append(values.cat.categories.astype(str).to_numpy(object), "nan")
        codes = np.where(codes < 0, texts.size - 1, codes)
    elif values.dtype == object or values.dtype.kind in "biu":
        codes, uniques = pd.factorize(values.to_numpy())
        texts = pd.Series(uniques).astype(str).to_numpy(object)
        # grouping before printing is safe for integers, booleans and text, not for mixed
        # objects (1 == 1.0 == True print differently) or missing values
        mixed = values.dtype == object and not all(isinstance(t, str) for t in uniques)
        if mixed or (codes < 0).any():
            codes, texts = _printed(values)
    else:  # floats and the rest: 0.0 == -0.0 print differently
        codes, texts = _printed(values)
    merged, distinct = pd.factorize(texts)  # categories such as "nan" and NaN print alike
    return merged[codes], np.asarray(distinct, dtype=object)


def _printed(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values.astype(str).to_numpy(object))
    return codes, np.asarray(uniques, dtype=object)


def stratum_labels(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """``" / "``-joined text of each row's ``columns`` (the stratum labels of a Cox fit).

    The same text as ``frame[columns].astype(str).agg(" / ".join, axis=1)``, built from
    each column's distinct texts: one join per distinct combination, not one per row.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": ["x", "y", "x"], "b": [1, 2, 1]})
    >>> stratum_labels(frame, ["a", "b"]).tolist()
    ['x / 1', 'y / 2', 'x / 1']
    """
    key = np.zeros(len(frame), dtype=np.int64)
    codes, texts = [], []
    for col in columns:
        code, text = _texts(frame[col])
        key = pd.factorize(key * text.size + code)[0]  # one code per combination so far
        codes.append(code)
        texts.append(text)
    first = np.empty(int(key.max(initial=-1)) + 1, dtype=np.intp)
    first[key[::-1]] = np.arange(key.size)[::-1]  # the first row of each combination
    joined = [" / ".join(t[c[i]] for t, c in zip(texts, codes, strict=True)) for i in first]
    return np.array(joined, dtype=object)[key]


@dataclass
class CoxTraining:
    """Training data as the likelihood functions read it.

    ``design`` is the uncentred design matrix and ``center`` its (weighted) column means; ``X``
    is the centred design, built only when something needs it in the data's row order (the
    fit itself reads the sorted copy in :meth:`risk_sets`). ``strata`` is the stratum label of
    each row (None without strata), ``entry`` the entry times (None without left truncation),
    ``index`` the ids.
    """

    design: np.ndarray | None
    center: np.ndarray
    time: np.ndarray
    event: np.ndarray
    w: np.ndarray
    entry: np.ndarray | None
    strata: np.ndarray | None
    index: pd.Index
    ties: str
    _risk: core.RiskSets | None = field(default=None, repr=False)
    _X: np.ndarray | None = field(default=None, repr=False)
    #: results of the diagnostics at a ``beta`` (:mod:`~churnsurv.regression.cox.diagnostics`)
    memo: dict = field(default_factory=dict, repr=False)

    def _sorted(self) -> core.RiskSets | None:
        """The risk sets when they hold every row (then ``X`` can be read from them)."""
        risk = self._risk
        return risk if risk is not None and risk.n_sorted == len(self.time) else None

    @property
    def X(self) -> np.ndarray:
        """The centred design, row-major, in the data's row order (built on first use)."""
        if self._X is None:
            risk = self._sorted() if self.design is None else None
            if risk is not None:  # the sorted centred rows put back in order: the same numbers
                self._X = np.empty_like(risk.X)
                self._X[risk.order] = risk.X
            else:
                self._X = np.subtract(self._design(), self.center, order="C")
        return self._X

    def _design(self) -> np.ndarray:
        """The uncentred design (released only when the risk sets can stand in for it)."""
        if self.design is None:
            raise RuntimeError("the design was released before the risk sets held every row")
        return self.design

    def release_design(self) -> None:
        """Let the uncentred design go once the risk sets hold every row: ``X`` and the linear
        predictor are then read from their sorted, centred copy (the fitted model keeps one
        n x p array instead of two)."""
        self.risk_sets()
        if self._sorted() is not None:
            self.design = None

    def linear_predictor(self, beta: np.ndarray) -> np.ndarray:
        """``(x - center) @ beta`` of each row, in the data's row order.

        Summed term by term (``sum_j (x_j - c_j) beta_j`` in column order), a block of rows at
        a time, from whichever centred copy exists (``X``, or the risk sets' sorted rows) or
        the design: the same numbers from each, and equal rows get equal predictors (a BLAS
        product may round a row differently by its position). No n x p temporary.
        """
        risk = self._sorted()
        if self._X is not None:
            rows, centred = self._X, True
        elif risk is not None:
            rows, centred = risk.X, True
        else:
            rows, centred = self._design(), False
        n, step = len(rows), 1 << 15
        out = np.empty(n)
        for i in range(0, n, step):
            block = rows[i : i + step]
            acc = np.zeros(len(block))
            for j, b in enumerate(beta):
                acc += (block[:, j] if centred else block[:, j] - self.center[j]) * b
            out[i : i + step] = acc
        if rows is not self._X and risk is not None and rows is risk.X:
            unsorted = np.empty(n)
            unsorted[risk.order] = out
            return unsorted
        return out

    def risk_sets(self) -> core.RiskSets:
        """The risk sets (built once; shared by the fit, the statistics and the diagnostics)."""
        if self._risk is None:
            self._risk = core.RiskSets(
                self._design(),
                self.time,
                self.event,
                self.w,
                entry=self.entry,
                strata=self.strata,
                ties=self.ties,
                center=self.center,
            )
        return self._risk

    def call(self, fn: Callable, beta: np.ndarray, *extra):
        """``fn(X, time, event, w, beta, *extra, entry=, strata=, ties=)`` on this data."""
        return fn(
            self.X,
            self.time,
            self.event,
            self.w,
            beta,
            *extra,
            entry=self.entry,
            strata=self.strata,
            ties=self.ties,
        )


class RemovedTraining(CoxTraining):
    """The training rows of a fitted model after :meth:`~churnsurv.CoxModel.remove_data`: none.

    Reading anything of it (the diagnostics that need the rows) raises ``ValueError`` saying
    why and what to do, instead of an ``AttributeError`` from inside the diagnostics.
    """

    def __init__(self) -> None:
        """Hold nothing: every attribute read goes to :meth:`__getattr__`."""

    def __getattribute__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            return object.__getattribute__(self, name)
        raise ValueError(
            "this Cox model's training rows were removed (CoxModel.remove_data()); fit it "
            "again to compute diagnostics from them (check_proportional_hazards, "
            "schoenfeld_residuals, plot_schoenfeld)."
        )


@dataclass
class CoxFit:
    """What a fitted Cox model knows.

    Attributes
    ----------
    design : Design
        The formula's design (columns, terms, levels).
    params : pandas.Series
        Log hazard ratios by design column.
    center : numpy.ndarray
        The (weighted) column means subtracted before fitting.
    strata_columns : list of str
    baseline : dict
        Stratum label (None without strata) -> (event times, Breslow cumulative hazard).
    max_time : dict
        Stratum label -> last follow-up time (predictions stop there).
    time_unit : str
    train : CoxTraining
    """

    design: Design
    params: pd.Series
    center: np.ndarray
    strata_columns: list[str]
    baseline: dict
    max_time: dict
    time_unit: str
    train: CoxTraining

    @property
    def beta(self) -> np.ndarray:
        """The coefficients as an array."""
        return self.params.to_numpy()

    def strata_labels(self, frame: pd.DataFrame) -> np.ndarray | None:
        """Stratum label of each row of ``frame`` (None without strata); unseen strata refused."""
        if not self.strata_columns:
            return None
        missing = [c for c in self.strata_columns if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"column {missing[0]!r}: strata column needed for prediction.",
                column=missing[0],
                rule="missing column",
            )
        labels = stratum_labels(frame, self.strata_columns)
        unseen = sorted(set(pd.unique(labels)) - set(self.baseline))
        if unseen:
            raise DataValidationError(
                f"strata {unseen} were not seen (with events) when the model was fitted; "
                f"fitted strata: {sorted(self.baseline)}.",
                column=", ".join(self.strata_columns),
                rule="unseen stratum",
            )
        return labels

    def linear_predictor(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Centred linear predictor ``(x - center)'beta`` and stratum labels of ``frame``."""
        lp = self.design.linear_predictor(frame, self.beta, self.center, purpose="prediction")
        return lp, self.strata_labels(frame)

    @staticmethod
    def groups(labels: np.ndarray | None, n: int) -> list[tuple[object, np.ndarray]]:
        """(stratum label, row positions) for each stratum present in ``labels``, in the order
        the labels first occur (``pd.unique``), each stratum's rows in data order.

        The rows are :func:`~churnsurv.regression.cox.risksets.strata_rows`' groups (read-only):
        those ``strata_labels`` keeps with its labels, not a comparison of every label with
        each stratum's.
        """
        from churnsurv.regression.cox.risksets import strata_rows

        if labels is None:
            return [(None, np.arange(n))]
        groups = [rows for rows in strata_rows(labels, n) if rows.size]
        return [(labels[rows[0]], rows) for rows in sorted(groups, key=lambda rows: rows[0])]

    def cumulative_hazard(self, label, t: np.ndarray) -> np.ndarray:
        """Baseline cumulative hazard of a stratum at times ``t`` (NaN after its follow-up)."""
        times, cum = self.baseline[label]
        out = np.r_[0.0, cum][np.searchsorted(times, t, side="right")]
        return np.where(t > self.max_time[label] + 1e-9, np.nan, out)
