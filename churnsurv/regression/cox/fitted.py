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

__all__ = ["CoxFit", "CoxTraining"]


@dataclass
class CoxTraining:
    """Training data as the likelihood functions read it.

    ``design`` is the uncentred design matrix and ``center`` its (weighted) column means; ``X``
    is the centred design, built only when something needs it in the data's row order (the
    fit itself reads the sorted copy in :meth:`risk_sets`). ``strata`` is the stratum label of
    each row (None without strata), ``entry`` the entry times (None without left truncation),
    ``index`` the ids.
    """

    design: np.ndarray
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

    @property
    def X(self) -> np.ndarray:
        """The centred design, row-major, in the data's row order (built on first use)."""
        if self._X is None:
            self._X = np.subtract(self.design, self.center, order="C")
        return self._X

    def risk_sets(self) -> core.RiskSets:
        """The risk sets (built once; shared by the fit, the statistics and the diagnostics)."""
        if self._risk is None:
            self._risk = core.RiskSets(
                self.design,
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
        labels = frame[self.strata_columns].astype(str).agg(" / ".join, axis=1).to_numpy()
        unseen = sorted(set(labels) - set(self.baseline))
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
        """(stratum label, row positions) for each stratum present in ``labels``."""
        if labels is None:
            return [(None, np.arange(n))]
        return [(k, np.flatnonzero(labels == k)) for k in pd.unique(labels)]

    def cumulative_hazard(self, label, t: np.ndarray) -> np.ndarray:
        """Baseline cumulative hazard of a stratum at times ``t`` (NaN after its follow-up)."""
        times, cum = self.baseline[label]
        out = np.r_[0.0, cum][np.searchsorted(times, t, side="right")]
        return np.where(t > self.max_time[label] + 1e-9, np.nan, out)
