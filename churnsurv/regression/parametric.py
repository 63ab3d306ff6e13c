"""Parametric survival models of churn, for extrapolation past the observed tenure.

A Kaplan-Meier curve or a Cox baseline stops at the longest observed tenure; a customer lifetime
value needs the curve beyond it. The models here -- Weibull, log-logistic and log-normal
accelerated failure time (AFT) models and a piecewise-exponential model -- are fitted by lifelines
on the same formula interface as :class:`~churnsurv.CoxModel`, and predict (conditionally on
the tenure reached, as the Cox model does) at any horizon. :func:`compare_models` ranks them by
AIC and draws their fitted curves against Kaplan-Meier.

Parametrisations (those of lifelines; ``x`` includes an intercept):

* Weibull AFT: ``S(t) = exp(-(t / lambda)^rho)``, ``lambda = exp(x'b)``, ``rho = exp(c)``;
* log-logistic AFT: ``S(t) = 1 / (1 + (t / alpha)^beta)``, ``alpha = exp(x'b)``, ``beta = exp(c)``;
* log-normal AFT: ``log T ~ Normal(mu = x'b, sigma = exp(c))``;
* piecewise exponential: hazard ``1 / lambda_j`` on the j-th interval between ``breakpoints``,
  ``lambda_j = exp(x'b_j)``.

Customers censored at tenure 0 (just signed up) add nothing to a parametric likelihood and are
left out of the fit (``n_zero_dropped_``); a churn *at* tenure 0 is an error.
"""

from __future__ import annotations

import html
import warnings
from abc import ABC, abstractmethod

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._render import Result, text_block
from churnsurv._validation import (
    check_conf_level,
    check_is_fitted,
    check_penalizer,
    z_quantile,
)
from churnsurv.exceptions import ConvergenceError, DataValidationError
from churnsurv.regression.design import Design, churn_probability, customer_rows, survival_frame

__all__ = [
    "LogLogisticAFT",
    "LogNormalAFT",
    "ModelComparison",
    "ParametricModel",
    "PiecewiseExponential",
    "WeibullAFT",
    "compare_models",
]


class ParametricModel(ABC):
    """Common machinery of the parametric models (use a subclass).

    Parameters
    ----------
    formula : str, optional
        Right-hand side over the covariate columns (as for ``CoxModel``); None for no covariates.
    conf_level : float, default 0.95
        Confidence level of the summary intervals.
    penalizer : float, default 0.0
        lifelines' ridge penalty.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> m = WeibullAFT().fit(data)
    >>> m.n_params_, round(m.aic_, 1)
    (2, 21156.6)
    """

    name = "parametric"
    _fitter_name = ""

    def __init__(self, formula: str | None = None, *, conf_level: float = 0.95, penalizer=0.0):
        self.formula = formula
        self.conf_level = check_conf_level(conf_level)
        self.penalizer = check_penalizer(penalizer)

    def _make_fitter(self):
        import lifelines

        return getattr(lifelines, self._fitter_name)(
            alpha=1 - self.conf_level, penalizer=self.penalizer
        )

    def _design_matrix(self, frame, *, fit: bool) -> pd.DataFrame:
        if self.formula is None:
            return pd.DataFrame(index=frame.index)
        if fit:
            return self._design.fit_transform(frame, purpose=f"{type(self).__name__}")
        return self._design.transform(frame, purpose="prediction")

    def fit(self, data) -> ParametricModel:
        """Fit by maximum likelihood (lifelines) to a :class:`~churnsurv.data.ChurnData`.

        Left truncation (``entry``) is honoured. Returns ``self``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> LogNormalAFT("Contract").fit(data).params_.shape
        (4,)
        """
        purpose = type(self).__name__
        data.require_customer_rows(purpose=f"{purpose} (use CoxModel for time-varying covariates)")
        if self.formula is not None:
            self._design = Design(self.formula)
            data.require_columns(self._design.variables, purpose=purpose)
        data.require_events(purpose=purpose)
        frame = data.frame
        zero = frame["duration"].to_numpy() <= 0
        if (zero & frame["event"].to_numpy()).any():
            raise DataValidationError(
                f"column 'duration': {int((zero & frame['event']).sum())} churn(s) at tenure 0; "
                f"{purpose} needs positive churn times (add a small offset or drop them).",
                column="duration",
                rule="event at time 0",
            )
        frame = frame[~zero]
        self.n_zero_dropped_ = int(zero.sum())
        X = self._design_matrix(frame, fit=True)
        df = X.copy()
        df["__t"], df["__e"] = frame["duration"].to_numpy(), frame["event"].to_numpy()
        kw = {}
        if data.has_entry:
            df["__entry"] = frame["entry"].to_numpy()
            kw["entry_col"] = "__entry"
        fitter = self._make_fitter()
        from lifelines import exceptions as ll_exc

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fitter.fit(df, "__t", "__e", **kw)
            except ll_exc.ConvergenceError as exc:
                raise ConvergenceError(
                    f"{purpose}({self.formula!r}) did not converge ({exc}); try a penalizer "
                    "(e.g. penalizer=0.01) or fewer terms."
                ) from exc
        if any(issubclass(c.category, ll_exc.ConvergenceWarning) for c in caught):
            raise ConvergenceError(
                f"{purpose}({self.formula!r}) did not converge; try a "
                "penalizer (e.g. penalizer=0.01) or fewer terms."
            )
        self._fitter = fitter
        self.params_ = fitter.params_
        self.log_likelihood_ = float(fitter.log_likelihood_)
        self.n_params_ = int(len(fitter.params_))
        self.n_, self.n_events_ = len(frame), int(frame["event"].sum())
        self.aic_ = -2 * self.log_likelihood_ + 2 * self.n_params_
        self.bic_ = -2 * self.log_likelihood_ + np.log(self.n_) * self.n_params_
        self.time_unit_ = data.time_unit
        self.max_time_ = float(frame["duration"].max())
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Coefficient table by (parameter, covariate): ``estimate``, ``std_err``, ``ci_lower``,
        ``ci_upper`` (Wald, at ``conf_level``), ``z``, ``p_value``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> s = WeibullAFT().fit(data).summary
        >>> s.index.tolist(), s.columns.tolist()
        ([('lambda_', 'Intercept'), ('rho_', 'Intercept')], \
['estimate', 'std_err', 'ci_lower', 'ci_upper', 'z', 'p_value'])
        """
        check_is_fitted(self)
        est = self.params_.astype(float)
        se = self._fitter.standard_errors_.reindex(est.index).astype(float)
        q = z_quantile(self.conf_level)
        out = pd.DataFrame(
            {
                "estimate": est,
                "std_err": se,
                "ci_lower": est - q * se,
                "ci_upper": est + q * se,
                "z": est / se,
                "p_value": 2 * stats.norm.sf(np.abs(est / se)),
            }
        )
        out.attrs["conf_level"] = self.conf_level
        return out

    def _repr_html_(self) -> str:
        if not hasattr(self, "params_"):
            return f"<p>{type(self).__name__}, not fitted</p>"
        head = (
            f"<p><strong>{html.escape(self.name)}</strong> "
            f"{html.escape(str(self.formula or '(no covariates)'))}: n={self.n_}, "
            f"events={self.n_events_}, log-likelihood={self.log_likelihood_:.2f}, "
            f"AIC={self.aic_:.1f}</p>"
        )
        return head + self.summary.to_html(float_format="{:.4g}".format)

    def __repr__(self) -> str:
        formula = "" if self.formula is None else repr(self.formula)
        return f"{type(self).__name__}({formula})"

    def __str__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{self!r}, not fitted"
        head = (
            f"{self.name} {self.formula or '(no covariates)'}: n={self.n_}, "
            f"events={self.n_events_}, log-likelihood={self.log_likelihood_:.2f}, "
            f"AIC={self.aic_:.1f}"
        )
        return text_block(head, [("", self.summary)])

    # -- the model's cumulative hazard, vectorised ------------------------------------------
    def _linear(self, X: pd.DataFrame, param: str) -> np.ndarray:
        coef = self.params_[param]
        out = np.full(len(X), float(coef.get("Intercept", 0.0)))
        for name, b in coef.items():
            if name != "Intercept":
                out = out + X[name].to_numpy(float) * b
        return out

    @abstractmethod
    def _cumhaz(self, X: pd.DataFrame, t: np.ndarray) -> np.ndarray:
        """Cumulative hazard at ``t`` (rows × times, same number of rows as ``X``).

        Each distribution (subclass) gives its closed form.
        """

    # -- predictions ------------------------------------------------------------------------
    def predict_survival(self, data, times=None, *, conditional: bool = True) -> pd.DataFrame:
        """Survival curves per customer, with the same semantics as ``CoxModel``.

        ``conditional=True``: ``times`` are **time from now** and each active customer's curve
        is ``S(tenure + t) / S(tenure)`` (churned customers: NaN rows); ``False``: ``times`` are
        tenures and the curve is ``S(t | x)``. Unlike the Cox model, any horizon is allowed
        (this is extrapolation: check the fit against Kaplan-Meier with
        :func:`compare_models`). Default times ``1, ..., 2 * max observed tenure``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes")
        >>> m = WeibullAFT("Contract").fit(data)
        >>> m.predict_survival(data.frame.head(2), [12, 120]).round(3)
        time_from_now  12.0   120.0
        customerID
        7590-VHVEG     0.734  0.118
        5575-GNVDE     0.973  0.790
        """
        frame = customer_rows(data)
        if times is None:
            times = np.arange(1, int(2 * self.max_time_) + 1)
        times = np.atleast_1d(np.asarray(times, float))
        X = self._design_matrix(frame, fit=False)
        if conditional:
            tenure = frame["duration"].to_numpy(float)
            churned = frame["event"].to_numpy(bool)
        else:
            tenure, churned = np.zeros(len(frame)), np.zeros(len(frame), bool)
        h = self._cumhaz(X, tenure[:, None] + times[None, :]) - self._cumhaz(X, tenure[:, None])
        out = np.exp(-h)
        out[churned] = np.nan
        return survival_frame(
            out, frame.index, times, conditional=conditional, time_unit=self.time_unit_
        )

    def predict_churn_probability(self, data, *, within) -> pd.Series:
        """Probability that each active customer churns in the next ``within`` periods.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes")
        >>> m = WeibullAFT("Contract").fit(data)
        >>> m.predict_churn_probability(data.frame.head(2), within=6).round(3).tolist()
        [0.155, 0.014]
        """
        return churn_probability(self, data, within)

    def predict_expected_lifetime(self, data, *, horizon, conditional: bool = True) -> pd.Series:
        """Restricted expected (remaining) lifetime ``∫_0^horizon S(u | T > tenure) du``.

        Computed by Simpson's rule on 401 points (relative error far below 1e-4 for these
        smooth curves). NaN for churned customers when ``conditional=True``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes")
        >>> m = WeibullAFT("Contract").fit(data)
        >>> m.predict_expected_lifetime(data.frame.head(2), horizon=120).round(1).tolist()
        [44.7, 106.4]
        """
        from scipy.integrate import simpson

        grid = np.linspace(0.0, float(horizon), 401)
        surv = self.predict_survival(data, grid, conditional=conditional)
        return pd.Series(
            simpson(surv.to_numpy(), x=grid, axis=1),
            index=surv.index,
            name=f"expected_lifetime_{horizon:g}",
        )

    def marginal_survival(self, data, times) -> np.ndarray:
        """Population-average ``mean_i S(t | x_i)`` from signup (what KM estimates).

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> WeibullAFT().fit(data).marginal_survival(data, [0, 12]).round(3).tolist()
        [1.0, 0.8]
        """
        return self.predict_survival(data, times, conditional=False).mean(axis=0).to_numpy()


class WeibullAFT(ParametricModel):
    """Weibull accelerated failure time model (lifelines ``WeibullAFTFitter``).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> m = WeibullAFT().fit(data)
    >>> round(float(np.exp(m.params_["rho_"]["Intercept"])), 3)  # shape < 1: hazard falls
    0.645
    """

    name = "Weibull AFT"
    _fitter_name = "WeibullAFTFitter"

    def _cumhaz(self, X, t):
        lam = np.exp(self._linear(X, "lambda_"))[:, None]
        rho = np.exp(self._linear(X, "rho_"))[:, None]
        return (t / lam) ** rho


class LogLogisticAFT(ParametricModel):
    """Log-logistic accelerated failure time model (lifelines ``LogLogisticAFTFitter``).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> LogLogisticAFT().fit(data).n_params_
    2
    """

    name = "log-logistic AFT"
    _fitter_name = "LogLogisticAFTFitter"

    def _cumhaz(self, X, t):
        a = np.exp(self._linear(X, "alpha_"))[:, None]
        b = np.exp(self._linear(X, "beta_"))[:, None]
        return np.log1p((t / a) ** b)


class LogNormalAFT(ParametricModel):
    """Log-normal accelerated failure time model (lifelines ``LogNormalAFTFitter``).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> LogNormalAFT().fit(data).n_params_
    2
    """

    name = "log-normal AFT"
    _fitter_name = "LogNormalAFTFitter"

    def _cumhaz(self, X, t):
        mu = self._linear(X, "mu_")[:, None]
        sigma = np.exp(self._linear(X, "sigma_"))[:, None]
        with np.errstate(divide="ignore"):
            return -stats.norm.logsf((np.log(t) - mu) / sigma)


class PiecewiseExponential(ParametricModel):
    """Piecewise-exponential model: constant hazard between breakpoints, covariates per piece.

    Parameters
    ----------
    formula : str, optional
    breakpoints : sequence of float
        Interior cut points in the data's time unit (e.g. ``[1, 12, 24]`` months). The last
        piece's hazard holds beyond the last breakpoint, which is how it extrapolates.
    conf_level, penalizer : see :class:`ParametricModel`

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> PiecewiseExponential(breakpoints=[2, 12, 36]).fit(data).n_params_
    4
    """

    name = "piecewise exponential"
    _fitter_name = "PiecewiseExponentialRegressionFitter"

    def __init__(self, formula=None, *, breakpoints=(1, 12, 24), conf_level=0.95, penalizer=0.0):
        super().__init__(formula, conf_level=conf_level, penalizer=penalizer)
        self.breakpoints = breakpoints

    def _make_fitter(self):
        from lifelines import PiecewiseExponentialRegressionFitter

        bp = np.asarray(self.breakpoints, float)
        if bp.ndim != 1 or bp.size == 0 or (bp <= 0).any() or (np.diff(bp) <= 0).any():
            raise ValueError(
                f"breakpoints must be increasing positive numbers; got {self.breakpoints!r}."
            )
        return PiecewiseExponentialRegressionFitter(
            bp, alpha=1 - self.conf_level, penalizer=self.penalizer
        )

    def _cumhaz(self, X, t):
        edges = np.r_[0.0, np.asarray(self.breakpoints, float), np.inf]
        h = np.zeros(np.broadcast_shapes(t.shape, (len(X), 1)))
        for j in range(len(edges) - 1):
            rate = np.exp(-self._linear(X, f"lambda_{j}_"))[:, None]
            h = h + rate * np.clip(t - edges[j], 0.0, edges[j + 1] - edges[j])
        return h


_MODELS: dict[str, type[ParametricModel]] = {
    "weibull": WeibullAFT,
    "loglogistic": LogLogisticAFT,
    "lognormal": LogNormalAFT,
    "piecewise": PiecewiseExponential,
}


class ModelComparison(Result):
    """Result of :func:`compare_models`: a table, the fitted models, and a KM-overlay plot.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model: ``n_params``, ``log_likelihood``, ``aic``, ``bic``, ``delta_aic``,
        sorted by AIC (lower is better).
    models : dict
        The fitted models by name.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> cmp = compare_models(data, models=("weibull", "lognormal"))
    >>> cmp.table.index.tolist()
    ['log-normal AFT', 'Weibull AFT']
    """

    def __init__(self, table: pd.DataFrame, models: dict, data) -> None:
        self.table = table
        self.models = models
        self._data = data

    _title = "Parametric models compared (lower AIC is better)"

    @property
    def summary(self) -> pd.DataFrame:
        """The comparison table (same as :attr:`table`)."""
        return self.table

    def plot(self, *, horizon=None, ax=None):
        """Fitted marginal survival curves against Kaplan-Meier (lifelines), to ``horizon``.

        The dotted vertical line marks the longest observed tenure: right of it, the curves
        are extrapolations.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> ax = compare_models(data, models=("weibull",)).plot(horizon=120)
        >>> bool(ax.get_xlim()[1] >= 120)
        True
        """
        from lifelines import KaplanMeierFitter

        from churnsurv.plotting.cox import plot_model_comparison

        d = self._data
        km = KaplanMeierFitter().fit(
            d.durations, d.events, entry=d.entries if d.has_entry else None
        )
        t_max = max(m.max_time_ for m in self.models.values())
        grid = np.linspace(0.0, horizon or 2 * t_max, 200)
        curves = {name: (grid, m.marginal_survival(d, grid)) for name, m in self.models.items()}
        sf = km.survival_function_
        return plot_model_comparison(
            sf.index.to_numpy(),
            sf.iloc[:, 0].to_numpy(),
            curves,
            xlabel=f"tenure ({d.time_unit}s)",
            ax=ax,
        )


def compare_models(
    data,
    formula=None,
    *,
    models=("weibull", "loglogistic", "lognormal", "piecewise"),
    breakpoints=(1, 12, 24),
):
    """Fit several parametric models and compare log-likelihood, AIC and BIC.

    Parameters
    ----------
    data : ChurnData
    formula : str, optional
        The same right-hand side for every model (None: no covariates).
    models : sequence of {"weibull", "loglogistic", "lognormal", "piecewise"}
    breakpoints : sequence of float
        For the piecewise-exponential model.

    Returns
    -------
    ModelComparison
        ``.table`` (sorted by AIC), ``.models``, ``.plot(horizon=..., ax=None)``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> compare_models(data, models=("weibull", "loglogistic")).table.columns.tolist()
    ['n_params', 'log_likelihood', 'aic', 'bic', 'delta_aic']
    """
    unknown = [m for m in models if m not in _MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {list(_MODELS)}.")
    fitted = {}
    for key in models:
        kw = {"breakpoints": breakpoints} if key == "piecewise" else {}
        m = _MODELS[key](formula, **kw).fit(data)
        fitted[m.name] = m
    table = pd.DataFrame(
        {
            name: {
                "n_params": m.n_params_,
                "log_likelihood": m.log_likelihood_,
                "aic": m.aic_,
                "bic": m.bic_,
            }
            for name, m in fitted.items()
        }
    ).T
    table["n_params"] = table["n_params"].astype(int)
    table = table.sort_values("aic")
    table["delta_aic"] = table["aic"] - table["aic"].min()
    table.index.name = "model"
    return ModelComparison(table, fitted, data)
