"""Predictions of :class:`churnsurv.cox.CoxModel` (a mixin).

Survival curves (conditional on the tenure already reached, or from signup), churn
probabilities, restricted expected lifetimes and partial-effect curves, all from the Breslow
baseline hazard and the linear predictor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv.exceptions import DataValidationError
from churnsurv.regression.design import churn_probability, customer_rows, survival_frame

__all__ = ["CoxPrediction"]


class CoxPrediction:
    """Mixin: predictions from a fitted Cox model's baseline hazard and coefficients."""

    def _linear_predictor(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        X = self._design.transform(frame, purpose="prediction").to_numpy()
        lp = (X - self.center_) @ self.params_.to_numpy()
        labels = None
        if self.strata_columns_:
            missing = [c for c in self.strata_columns_ if c not in frame.columns]
            if missing:
                raise DataValidationError(
                    f"column {missing[0]!r}: strata column needed for prediction.",
                    column=missing[0],
                    rule="missing column",
                )
            labels = frame[self.strata_columns_].astype(str).agg(" / ".join, axis=1).to_numpy()
            unseen = sorted(set(labels) - set(self.baseline_))
            if unseen:
                raise ValueError(
                    f"strata {unseen} were not seen (with events) when the model "
                    f"was fitted; fitted strata: {sorted(self.baseline_)}."
                )
        return lp, labels

    def _cumhaz(self, label, t: np.ndarray) -> np.ndarray:
        """Baseline cumulative hazard of a stratum at times ``t`` (NaN after follow-up)."""
        times, cum = self.baseline_[label]
        idx = np.searchsorted(times, t, side="right")
        out = np.r_[0.0, cum][idx]
        return np.where(t > self.max_time_[label] + 1e-9, np.nan, out)

    def predict_survival(self, data, times=None, *, conditional: bool = True) -> pd.DataFrame:
        """Predicted survival curves, one row per customer.

        Parameters
        ----------
        data : ChurnData or pandas.DataFrame
            Customers with the covariate columns (and ``duration``/``event`` for
            ``conditional=True``). For a panel, each customer's last interval is used, with its
            covariates held at their current values.
        times : array-like, optional
            With ``conditional=True``: **time from now** (periods after the tenure already
            reached); with ``conditional=False``: **tenure** (time since signup). Default
            ``1, 2, ...`` up to the last follow-up time.
        conditional : bool, default True
            ``True``: for each active (censored) customer, ``S(tenure + t) / S(tenure)``, the
            probability of still being a customer ``t`` periods from now given survival so far.
            Customers who already churned get NaN rows (they have no remaining lifetime).
            ``False``: ``S(t | x)`` from signup, for every row.

        Returns
        -------
        pandas.DataFrame
            Customers × times. Cells beyond the last follow-up time of the customer's stratum
            are NaN: the Cox baseline is not identified there (use a parametric model to
            extrapolate). ``attrs`` records the time scale.

        Examples
        --------
        >>> import churnsurv as cs
        >>> from churnsurv.regression.cox.model import CoxModel
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes", time_unit="month")
        >>> cox = CoxModel("Contract + SeniorCitizen").fit(data)
        >>> cox.predict_survival(data.frame.head(3), [1, 12]).round(3)
        time_from_now   1.0    12.0
        customerID
        7590-VHVEG     0.965  0.778
        5575-GNVDE     0.998  0.976
        3668-QPYBK       NaN    NaN
        """
        self._fitted()
        frame = customer_rows(data)
        if times is None:
            times = np.arange(1, int(np.floor(max(self.max_time_.values()))) + 1)
        times = np.atleast_1d(np.asarray(times, float))
        if (times < 0).any():
            raise ValueError("times must be >= 0.")
        lp, labels = self._linear_predictor(frame)
        if conditional:
            if "duration" not in frame.columns:
                raise ValueError(
                    "conditional=True needs each customer's tenure: pass ChurnData "
                    "(or a frame with 'duration' and 'event'), or "
                    "conditional=False."
                )
            tenure = frame["duration"].to_numpy(float)
            churned = frame["event"].to_numpy(bool) if "event" in frame else np.zeros(len(lp), bool)
        else:
            tenure, churned = np.zeros(len(lp)), np.zeros(len(lp), bool)
        out = np.empty((len(lp), times.size))
        groups = (
            [(None, np.arange(len(lp)))]
            if labels is None
            else [(k, np.flatnonzero(labels == k)) for k in pd.unique(labels)]
        )
        chunk = max(1, 4_000_000 // max(times.size, 1))
        for label, rows in groups:
            for start in range(0, rows.size, chunk):
                r = rows[start : start + chunk]
                h_now = self._cumhaz(label, tenure[r])
                h = self._cumhaz(label, tenure[r, None] + times[None, :]) - h_now[:, None]
                out[r] = np.exp(-h * np.exp(lp[r])[:, None])
        out[churned] = np.nan
        return survival_frame(
            out, frame.index, times, conditional=conditional, time_unit=self.time_unit_
        )

    def predict_churn_probability(self, data, *, within) -> pd.Series:
        """Probability that each active customer churns in the next ``within`` periods.

        ``1 - S(tenure + within) / S(tenure)``; NaN for customers who already churned or when
        ``tenure + within`` is beyond the follow-up (see :meth:`predict_survival`).

        Examples
        --------
        >>> import churnsurv as cs
        >>> from churnsurv.regression.cox.model import CoxModel
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes", time_unit="month")
        >>> cox = CoxModel("Contract + SeniorCitizen").fit(data)
        >>> cox.predict_churn_probability(data.frame.head(2), within=6).round(3).tolist()
        [0.137, 0.012]
        """
        return churn_probability(self, data, within)

    def predict_expected_lifetime(self, data, *, horizon, conditional: bool = True) -> pd.Series:
        """Restricted expected (remaining) lifetime: the area under the survival curve.

        With ``conditional=True`` (active customers): ``∫_0^horizon S(tenure + u) / S(tenure) du``,
        the expected number of further periods as a customer within the next ``horizon``
        periods; with ``False``: the restricted mean lifetime from signup. Exact for the step
        function. NaN for churned customers, or when the horizon reaches past the follow-up.

        Examples
        --------
        >>> import churnsurv as cs
        >>> from churnsurv.regression.cox.model import CoxModel
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes", time_unit="month")
        >>> cox = CoxModel("Contract").fit(data)
        >>> cox.predict_expected_lifetime(data.frame.head(2), horizon=12).round(2).tolist()
        [10.54, 11.87]
        """
        self._fitted()
        if not np.isscalar(horizon) or horizon <= 0:
            raise ValueError(f"horizon must be a positive number of periods; got {horizon!r}.")
        frame = customer_rows(data)
        lp, labels = self._linear_predictor(frame)
        tenure = frame["duration"].to_numpy(float) if conditional else np.zeros(len(lp))
        churned = frame["event"].to_numpy(bool) if conditional else np.zeros(len(lp), bool)
        out = np.empty(len(lp))
        groups = (
            [(None, np.arange(len(lp)))]
            if labels is None
            else [(k, np.flatnonzero(labels == k)) for k in pd.unique(labels)]
        )
        for label, rows in groups:
            jumps, cum = self.baseline_[label]
            chunk = max(1, 2_000_000 // (jumps.size + 1))
            for start in range(0, rows.size, chunk):
                r = rows[start : start + chunk]
                a = tenure[r, None]
                knots = np.clip(jumps[None, :] - a, 0, horizon)  # ends of constant pieces
                knots = np.concatenate([knots, np.full((len(r), 1), horizon)], axis=1)
                lengths = np.diff(knots, axis=1, prepend=0.0)
                level = np.r_[0.0, cum][None, :] - self._cumhaz(label, tenure[r])[:, None]
                piece = np.exp(-np.maximum(level, 0) * np.exp(lp[r])[:, None])
                out[r] = (lengths * piece).sum(axis=1)
                out[r] = np.where(
                    tenure[r] + horizon > self.max_time_[label] + 1e-9, np.nan, out[r]
                )
        out[churned] = np.nan
        return pd.Series(out, index=frame.index, name=f"expected_lifetime_{horizon:g}")

    def plot_partial_effects(self, term: str, values, *, data=None, times=None, ax=None):
        """Survival curves from signup for chosen values of one covariate, others typical.

        The other covariates are held at their most frequent level (categorical) or median
        (numeric) in ``data`` (default: the training data is not stored, so pass ``data``).

        Parameters
        ----------
        term : str
            A covariate column named in the formula, e.g. ``"Contract"``.
        values : sequence
            Values of it to draw one curve each.
        data : ChurnData or DataFrame
            Customers from which the typical values of the other covariates are taken.
        times : array-like, optional
            Tenures (default: 0 to the last follow-up time).

        Examples
        --------
        >>> import churnsurv as cs
        >>> from churnsurv.regression.cox.model import CoxModel
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> cox = CoxModel("Contract + SeniorCitizen").fit(data)
        >>> ax = cox.plot_partial_effects("Contract", ["Month-to-month", "Two year"], data=data)
        >>> len(ax.get_lines())
        2
        """
        from churnsurv.plotting.cox import plot_curves

        if data is None:
            raise ValueError(
                "pass data= (e.g. the training ChurnData) to choose typical values "
                "of the other covariates."
            )
        frame = customer_rows(data)
        if term not in self._design.variables:
            raise ValueError(
                f"{term!r} is not a covariate of the formula; covariates: {self._design.variables}."
            )
        typical = {}
        for v in self._design.variables + self.strata_columns_:
            col = frame[v]
            typical[v] = (
                col.mode().iloc[0]
                if v in self._design.levels or v in self.strata_columns_
                else col.median()
            )
        rows = pd.DataFrame([{**typical, term: value} for value in values])
        for v in self._design.levels:
            if isinstance(frame[v].dtype, pd.CategoricalDtype):
                rows[v] = pd.Categorical(rows[v], categories=frame[v].cat.categories)
        rows.index = pd.Index([f"{term} = {value}" for value in values])
        if times is None:
            times = np.linspace(0, max(self.max_time_.values()), 200)
        surv = self.predict_survival(rows, times, conditional=False)
        return plot_curves(
            surv, xlabel=f"tenure ({self.time_unit_}s)", title=f"Partial effect of {term}", ax=ax
        )
