"""The classic early-warning model: a logistic regression of "churned within ``k``: yes/no".

Most churn early-warning systems are classifiers. With censored customers the label is not
known for everyone: a customer censored at or before ``k`` (joined recently, or the data ends)
may or may not churn by ``k``. :class:`ChurnClassifier` fits the label with statsmodels' binomial
GLM (= ``Logit``) in one of two ways:

* ``method="naive"``: drop the customers whose label is unknown and fit the rest. This is what a
  classifier pipeline does silently, and it is **biased**: churners are observed early, stayers
  need ``k`` periods of follow-up, so dropping the censored keeps relatively more churners and
  the predicted P(churn <= k) is too high (more so where follow-up is short).
* ``method="ipcw"`` (default): keep the customers with a known label and weight each by the
  inverse probability of having been followed long enough to know it -- churners by
  ``1 / G(T-)``, customers still active after ``k`` by ``1 / G(k)`` with ``G`` the
  Kaplan–Meier estimate of the censoring distribution (the weights of
  :mod:`churnsurv.metrics.ipcw`). This removes the bias when censoring does not depend on the
  covariates (Binder et al. 2014; Blanche et al. 2013). Standard errors are the sandwich
  (``cov_type="HC0"``) with ``G`` taken as known.

A customer is a churner within ``k`` when ``event`` and ``duration <= k``, a stayer when
``duration > k``; censored at or before ``k`` is unknown (weight 0, the IPCW metrics'
convention). Predictions are P(churn <= k) from signup, so they plug into :func:`evaluate`
(at the horizon ``k``), :func:`time_dependent_auc`, :func:`brier_score` and
:func:`calibration` like any survival model's.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._render import FittedModel
from churnsurv._typing import ArrayLike
from churnsurv._validation import (
    check_choice,
    check_conf_level,
    check_horizon,
    check_is_fitted,
    z_quantile,
)
from churnsurv.exceptions import AssumptionWarning, DataValidationError
from churnsurv.metrics.ipcw import censoring_survival, ipcw_weights
from churnsurv.regression.design import Design, customer_rows

__all__ = ["ChurnClassifier"]

_METHODS = ("ipcw", "naive")


class ChurnClassifier(FittedModel):
    """Logistic regression of churn within ``within`` periods (naive or IPCW), statsmodels GLM.

    Parameters
    ----------
    formula : str
        Right-hand side, e.g. ``"Contract + MonthlyCharges"`` (as :class:`CoxModel`).
    within : float
        The window ``k``: the label is "churned at tenure <= k".
    method : {"ipcw", "naive"}, default "ipcw"
        ``"ipcw"`` weights the customers with a known label by ``1 / G``; ``"naive"`` drops
        the unknown ones unweighted (biased, kept for comparison).
    conf_level : float, default 0.95
        Level of the coefficient intervals.

    Attributes
    ----------
    params_ : pandas.Series
        Log-odds coefficients (``Intercept`` first).
    summary : pandas.DataFrame
        ``estimate``, ``odds_ratio``, ``std_err``, ``z``, ``p_value``, ``ci_lower``,
        ``ci_upper`` (of the log odds) per term.
    n_, n_events_ : int
        Customers used (known label) and churners within ``k`` among them.
    n_unknown_ : int
        Customers censored at or before ``k``: dropped (naive) or weight 0 (ipcw).
    result_ : statsmodels GLMResults
        The fitted statsmodels model.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes", time_unit="month")
    >>> clf = ChurnClassifier("MonthlyCharges + SeniorCitizen", within=12).fit(data)
    >>> clf.n_, clf.n_unknown_
    (5894, 1149)
    >>> clf.predict_churn_probability(data.frame.head(2)).round(3).tolist()
    [0.163, 0.153]
    """

    _title = "Churn-within-k classifier (binomial GLM)"

    def __init__(
        self, formula: str, *, within: float, method: str = "ipcw", conf_level: float = 0.95
    ) -> None:
        self.formula = formula
        self.within = within
        self.method = method
        self.conf_level = conf_level

    def __repr__(self) -> str:
        return (
            f"ChurnClassifier({self.formula!r}, within={self.within!r}, "
            f"method={self.method!r}, conf_level={self.conf_level!r})"
        )

    def fit(self, data: Any) -> ChurnClassifier:
        """Fit on a :class:`ChurnData` (customers followed from signup); returns ``self``."""
        check_choice("method", self.method, _METHODS)
        k = float(check_horizon(self.within, name="within", whole=False))
        conf = check_conf_level(self.conf_level)
        if getattr(data, "has_entry", False) or getattr(data, "panel", False):
            raise DataValidationError(
                "ChurnClassifier needs customers followed from signup (no entry times, no "
                "panel): the label 'churned within k' counts from signup.",
                column="entry",
                rule="left truncation",
            )
        time = np.asarray(data.durations, dtype=float)
        event = np.asarray(data.events, dtype=bool)
        label, weight = _label_and_weight(time, event, k, self.method)
        known = weight > 0
        if label[known].min() == label[known].max():
            raise DataValidationError(
                f"within={k:g}: every customer with a known label is "
                f"{'a churner' if label[known][0] else 'a stayer'}; the classifier needs both.",
                column="within",
                rule="one class",
            )
        design = Design(self.formula)
        frame = customer_rows(data)
        X = design.fit_transform(frame, purpose="the classifier").loc[known]
        X.insert(0, "Intercept", 1.0)
        import statsmodels.api as sm  # imported when first used (`import churnsurv` stays light)

        glm = sm.GLM(label[known], X, family=sm.families.Binomial(), var_weights=weight[known])
        _warn_separation(X, label[known])
        self.result_ = glm.fit(cov_type="HC0" if self.method == "ipcw" else "nonrobust")
        self.design_ = design
        self.within_ = k
        self.params_ = self.result_.params.rename("estimate")
        self.n_, self.n_events_ = int(known.sum()), int(label[known].sum())
        self.n_unknown_ = int((~known).sum())
        self._conf = conf
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Coefficients: log odds with SE, z, p-value and interval, and the odds ratio."""
        check_is_fitted(self)
        se = self.result_.bse
        z = self.params_ / se
        q = z_quantile(self._conf)
        out = pd.DataFrame(
            {
                "estimate": self.params_,
                "odds_ratio": np.exp(self.params_),
                "std_err": se,
                "z": z,
                "p_value": 2 * stats.norm.sf(np.abs(z)),
                "ci_lower": self.params_ - q * se,
                "ci_upper": self.params_ + q * se,
            }
        )
        out.attrs["conf_level"] = self._conf
        return out

    def _note(self) -> str:
        how = (
            "IPCW: known labels weighted by 1 / G (Kaplan–Meier of censoring), sandwich SEs"
            if self.method == "ipcw"
            else "naive: customers censored before k dropped (biased towards churn)"
        )
        return (
            f"label: churned within {self.within_:g}; {self.n_} customers ({self.n_events_} "
            f"churners), {self.n_unknown_} with unknown label; {how}."
        )

    def predict_churn_probability(self, data: Any) -> pd.Series:
        """Predicted P(churn at tenure <= ``within``) from signup, one per customer."""
        check_is_fitted(self)
        frame = customer_rows(data)
        X = self.design_.transform(frame, purpose="prediction")
        X.insert(0, "Intercept", 1.0)
        p = 1.0 / (1.0 + np.exp(-(X.to_numpy() @ self.params_.to_numpy())))
        return pd.Series(p, index=frame.index, name=f"p_churn_within_{self.within_:g}")

    def predict_survival(
        self, data: Any, times: ArrayLike, *, conditional: bool = False
    ) -> pd.DataFrame:
        """``1 - P(churn <= within)`` as a survival frame at ``times`` (all equal to
        ``within``), so :func:`evaluate` can score the classifier like a survival model.

        A classifier of one window says nothing about other horizons or about customers who
        already reached some tenure: other times and ``conditional=True`` are refused.
        """
        check_is_fitted(self)
        h = np.atleast_1d(np.asarray(times, dtype=float))
        if conditional or not np.all(h == self.within_):
            raise DataValidationError(
                f"ChurnClassifier(within={self.within_:g}) predicts only P(churn <= "
                f"{self.within_:g}) from signup; asked for times {h.tolist()} "
                f"(conditional={conditional}). Evaluate it at times=[{self.within_:g}].",
                column="times",
                rule="classifier horizon",
            )
        s = 1.0 - self.predict_churn_probability(data).to_numpy()
        return pd.DataFrame(
            np.repeat(s[:, None], h.size, axis=1), index=customer_rows(data).index, columns=h
        )


def _warn_separation(X: pd.DataFrame, label: np.ndarray) -> None:
    """Warn when a 0/1 column has only churners or only stayers among its 1s: its log odds is
    infinite in truth, and the fit reports a large finite number with a meaningless SE."""
    for col in X.columns[1:]:
        x = X[col].to_numpy()
        ones = x == 1
        if ones.any() and np.isin(x, (0.0, 1.0)).all():
            y = label[ones]
            if y.min() == y.max():
                warnings.warn(
                    f"{col}: all {int(ones.sum())} customers with a known label are "
                    f"{'churners' if y[0] else 'stayers'} (perfect separation); its coefficient "
                    "and standard error are not meaningful, its predictions are ~"
                    f"{int(y[0])}.",
                    AssumptionWarning,
                    stacklevel=3,
                )


def _label_and_weight(
    time: np.ndarray, event: np.ndarray, k: float, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """The 0/1 label "churned at or before ``k``" and each customer's weight (0: unknown).

    Examples
    --------
    >>> t, e = np.array([1.0, 2, 3, 4]), np.array([True, False, True, False])
    >>> y, w = _label_and_weight(t, e, 2.5, "ipcw")
    >>> y.tolist(), w.round(4).tolist()
    ([1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.5, 1.5])
    """
    label = (event & (time <= k)).astype(float)
    if method == "naive":
        return label, ((time > k) | (label == 1)).astype(float)
    w, _, _ = ipcw_weights(time, event, k, censoring_survival(time, event, source="training data"))
    return label, w
