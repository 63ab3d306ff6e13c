"""Parametric survival models of churn, for extrapolation past the observed tenure.

A Kaplan-Meier curve or a Cox baseline stops at the longest observed tenure; a customer lifetime
value needs the curve beyond it. The models here -- Weibull, log-logistic and log-normal
accelerated failure time (AFT) models and a piecewise-exponential model -- share the formula
interface of :class:`~churnsurv.CoxModel` and predict (conditionally on the tenure reached, as
the Cox model does) at any horizon. :func:`~churnsurv.compare_models` ranks them by AIC and
draws their fitted curves against Kaplan-Meier.

Parametrisations (those of lifelines; ``x`` includes an intercept):

* Weibull AFT: ``S(t) = exp(-(t / lambda)^rho)``, ``lambda = exp(x'b)``, ``rho = exp(c)``;
* log-logistic AFT: ``S(t) = 1 / (1 + (t / alpha)^beta)``, ``alpha = exp(x'b)``, ``beta = exp(c)``;
* log-normal AFT: ``log T ~ Normal(mu = x'b, sigma = exp(c))``;
* piecewise exponential: hazard ``1 / lambda_j`` on the j-th interval ``(a_j, b_j]`` between
  ``breakpoints``, ``lambda_j = exp(x'b_j)``.

The AFT models are R ``survreg``'s (``b`` are its coefficients, ``1 / rho``, ``1 / beta`` and
``sigma`` its ``scale``). How they are fitted: churnsurv maximises the likelihood itself
(:mod:`~churnsurv.regression._mle`, analytic derivatives, Newton-Raphson from the exponential
fit), falls back to lifelines' optimiser and then to a trust-region method, and accepts a fit
only when the gradient vanishes and every standard error is finite and not huge -- otherwise
:class:`~churnsurv.exceptions.ConvergenceError` says what failed. lifelines alone stopped short
of the maximum (log-logistic: 2.4e-3 in the intercept of R's lung example, 2e-3 in the
log-likelihood on Telco) and could go wrong with entry times without a warning.

The piecewise-exponential MLE is exact: events / exposure per interval without covariates, a
Poisson GLM with a log-exposure offset (statsmodels) per interval with them. (lifelines'
piecewise fitter differentiates ``min(t, tau)``, giving a churn exactly on a breakpoint --
every churn, with whole-month tenure and whole-month breakpoints -- the average of the two
neighbouring rates.) An interval without exposure or without churn has no finite MLE and is
reported as such.

Customers censored at tenure 0 (just signed up) add nothing to a parametric likelihood and are
left out of the fit (``n_zero_dropped_``); a churn *at* tenure 0 is an error.
"""

from __future__ import annotations

import html
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._render import text_block
from churnsurv._typing import ArrayLike
from churnsurv._validation import (
    check_conf_level,
    check_is_fitted,
    check_penalizer,
    z_quantile,
)
from churnsurv.data import ChurnData
from churnsurv.exceptions import ConvergenceError, DataValidationError
from churnsurv.regression import _mle
from churnsurv.regression.design import Design, churn_probability, customer_rows, survival_frame

__all__ = [
    "LogLogisticAFT",
    "LogNormalAFT",
    "ParametricModel",
    "PiecewiseExponential",
    "WeibullAFT",
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
        Ridge penalty ``0.5 * n * penalizer * sum((b_j * sd(x_j))**2)`` on the covariate
        coefficients (not on intercepts or shapes), as :class:`~churnsurv.CoxModel`'s.

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
    _advice = "Try fewer terms or a penalizer (e.g. penalizer=0.01)."

    def __init__(
        self, formula: str | None = None, *, conf_level: float = 0.95, penalizer: float = 0.0
    ) -> None:
        self.formula = formula
        self.conf_level = check_conf_level(conf_level)
        self.penalizer = check_penalizer(penalizer)

    def _design_matrix(self, frame, *, fit: bool) -> pd.DataFrame:
        if self.formula is None:
            return pd.DataFrame(index=frame.index)
        if fit:
            return self._design.fit_transform(frame, purpose=f"{type(self).__name__}")
        return self._design.transform(frame, purpose="prediction")

    def fit(self, data: ChurnData) -> ParametricModel:
        """Fit by maximum likelihood to a :class:`~churnsurv.data.ChurnData`.

        Left truncation (``entry``) is honoured. Returns ``self``.

        Raises
        ------
        ConvergenceError
            No usable maximum: the message lists what failed (a gradient that does not vanish,
            non-finite or huge standard errors, an interval without exposure or churn).

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
        t = frame["duration"].to_numpy(float)
        event = frame["event"].to_numpy(bool)
        entry = frame["entry"].to_numpy(float) if data.has_entry else None
        # the penalty's scale: sample SD of each covariate column (CoxModel's convention)
        sd = X.std(ddof=1).fillna(1.0).replace(0.0, 1.0).to_numpy(float)
        params, cov, loglik, problems = self._maximise(X, t, event, entry, sd)
        if problems:
            raise ConvergenceError(
                f"{purpose}({self.formula!r}) has no usable maximum-likelihood fit: "
                + "; ".join(problems)
                + f". {self._advice}"
            )
        self.params_ = params
        self.variance_matrix_ = pd.DataFrame(cov, index=params.index, columns=params.index)
        self.standard_errors_ = pd.Series(np.sqrt(np.diag(cov)), index=params.index)
        self.log_likelihood_ = float(loglik)
        self.n_params_ = int(len(params))
        self.n_, self.n_events_ = len(frame), int(event.sum())
        self.aic_ = -2 * self.log_likelihood_ + 2 * self.n_params_
        self.bic_ = -2 * self.log_likelihood_ + np.log(self.n_) * self.n_params_
        self.time_unit_ = data.time_unit
        self.max_time_ = float(t.max())
        return self

    @abstractmethod
    def _maximise(self, X: pd.DataFrame, t, event, entry, sd):
        """``(params Series, covariance, log-likelihood, problems)`` of the MLE."""

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
        se = self.standard_errors_.reindex(est.index).astype(float)
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
    def predict_survival(
        self,
        data: ChurnData | pd.DataFrame,
        times: ArrayLike | None = None,
        *,
        conditional: bool = True,
    ) -> pd.DataFrame:
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
        if not np.isfinite(times).all() or (times < 0).any():
            raise ValueError(f"times must be finite and >= 0; got {times.tolist()[:5]}.")
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

    def predict_churn_probability(
        self, data: ChurnData | pd.DataFrame, *, within: float
    ) -> pd.Series:
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

    def predict_expected_lifetime(
        self, data: ChurnData | pd.DataFrame, *, horizon: float, conditional: bool = True
    ) -> pd.Series:
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

    def marginal_survival(self, data: ChurnData | pd.DataFrame, times: ArrayLike) -> np.ndarray:
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


class _AFT(ParametricModel):
    """An AFT model fitted as R ``survreg``: ``log T = x'b + sigma W`` (see the module notes)."""

    _family = ""
    _params = ("", "")  # lifelines' names of the location and the ancillary parameter
    _fitter_name = ""  # the lifelines fitter tried when our own Newton-Raphson fails

    def _maximise(self, X, t, event, entry, sd):
        cols = list(X.columns)
        Xi = np.column_stack([np.ones(len(X)), X.to_numpy(float)])
        loc, anc = self._params
        names = [(loc, "Intercept")] + [(loc, c) for c in cols] + [(anc, "Intercept")]
        penalty = np.r_[0.0, len(t) * self.penalizer * sd**2]
        scale = np.r_[1.0, sd, 1.0]

        def lifelines_start():
            return self._lifelines_start(X, t, event, entry, loc, anc, cols)

        fit = _mle.fit_aft(
            self._family, Xi, t, event, entry, penalty, names, scale, lifelines_start
        )
        # lifelines' order: covariates, then the intercept, then the ancillary parameter
        order = list(range(1, len(cols) + 1)) + [0, len(cols) + 1]
        index = pd.MultiIndex.from_tuples([names[k] for k in order], names=["param", "covariate"])
        params = pd.Series(fit.theta[order], index=index)
        cov = fit.cov[np.ix_(order, order)] if not fit.problems else np.full((len(order),) * 2, 0.0)
        return params, cov, fit.loglik, fit.problems

    def _lifelines_start(self, X, t, event, entry, loc, anc, cols):
        """lifelines' estimate (our parameter order), or None when it fails."""
        import lifelines

        df = X.copy()
        df["__t"], df["__e"] = t, event
        kw = {}
        if entry is not None:
            df["__entry"], kw["entry_col"] = entry, "__entry"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = getattr(lifelines, self._fitter_name)().fit(df, "__t", "__e", **kw)
        except Exception:  # noqa: BLE001 -- any failure just means no starting values
            return None
        p = f.params_
        return np.r_[p[(loc, "Intercept")], [p[(loc, c)] for c in cols], p[(anc, "Intercept")]]


class WeibullAFT(_AFT):
    """Weibull accelerated failure time model (R ``survreg(dist = "weibull")``).

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
    _family = "weibull"
    _params = ("lambda_", "rho_")
    _fitter_name = "WeibullAFTFitter"

    def _cumhaz(self, X, t):
        lam = np.exp(self._linear(X, "lambda_"))[:, None]
        rho = np.exp(self._linear(X, "rho_"))[:, None]
        return (t / lam) ** rho


class LogLogisticAFT(_AFT):
    """Log-logistic accelerated failure time model (R ``survreg(dist = "loglogistic")``).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> LogLogisticAFT().fit(data).n_params_
    2
    """

    name = "log-logistic AFT"
    _family = "loglogistic"
    _params = ("alpha_", "beta_")
    _fitter_name = "LogLogisticAFTFitter"

    def _cumhaz(self, X, t):
        a = np.exp(self._linear(X, "alpha_"))[:, None]
        b = np.exp(self._linear(X, "beta_"))[:, None]
        return np.log1p((t / a) ** b)


class LogNormalAFT(_AFT):
    """Log-normal accelerated failure time model (R ``survreg(dist = "lognormal")``).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> LogNormalAFT().fit(data).n_params_
    2
    """

    name = "log-normal AFT"
    _family = "lognormal"
    _params = ("mu_", "sigma_")
    _fitter_name = "LogNormalAFTFitter"

    def _cumhaz(self, X, t):
        mu = self._linear(X, "mu_")[:, None]
        sigma = np.exp(self._linear(X, "sigma_"))[:, None]
        with np.errstate(divide="ignore"):
            return -stats.norm.logsf((np.log(t) - mu) / sigma)


class PiecewiseExponential(ParametricModel):
    """Piecewise-exponential model: constant hazard between breakpoints, covariates per piece.

    The MLE: per interval ``(a, b]``, churns / time at risk without covariates, a Poisson GLM
    of the churns with offset ``log(time at risk)`` with them (statsmodels); a churn exactly on
    a breakpoint belongs to the interval that ends there.

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
    _advice = "Try other breakpoints, fewer terms or a penalizer (e.g. penalizer=0.01)."

    def __init__(
        self,
        formula: str | None = None,
        *,
        breakpoints: Sequence[float] = (1, 12, 24),
        conf_level: float = 0.95,
        penalizer: float = 0.0,
    ) -> None:
        super().__init__(formula, conf_level=conf_level, penalizer=penalizer)
        self.breakpoints = breakpoints

    def _maximise(self, X, t, event, entry, sd):
        bp = np.asarray(self.breakpoints, float)
        if bp.ndim != 1 or bp.size == 0 or (bp <= 0).any() or (np.diff(bp) <= 0).any():
            raise ValueError(
                f"breakpoints must be increasing positive numbers; got {self.breakpoints!r}."
            )
        exposure, events = _mle.piecewise_table(t, event, entry, bp)
        cols = list(X.columns)
        Xi = np.column_stack([X.to_numpy(float), np.ones(len(X))])  # lifelines' order
        penalty = np.r_[len(t) * self.penalizer * sd**2, 0.0]
        edges = np.r_[0.0, bp, np.inf]
        params, blocks, problems, loglik = [], [], [], 0.0
        for j in range(bp.size + 1):
            piece = f"({edges[j]:g}, {edges[j + 1]:g}]"
            rows = exposure[:, j] > 0
            names = [(f"lambda_{j}_", c) for c in cols + ["Intercept"]]
            if not rows.any():
                problems.append(
                    f"interval {piece} has no exposure (follow-up ends at {t.max():g}): its "
                    "rate is not identified; drop the breakpoints past the follow-up"
                )
                continue
            if events[rows, j].sum() == 0:
                problems.append(
                    f"interval {piece} has {exposure[:, j].sum():g} periods at risk but no "
                    "churn: the MLE of its rate is 0 (log-rate -inf); merge it with a neighbour"
                )
                continue
            g, cov, ll, probs = _mle.poisson_piece(
                Xi[rows], exposure[rows, j], events[rows, j], penalty
            )
            fit = _mle.check(
                _mle.Fit(-g, ll, -np.linalg.inv(cov), True, probs), names, np.r_[sd, 1.0]
            )
            problems += [f"interval {piece}: {p}" for p in fit.problems]
            params.append(pd.Series(-g, index=pd.MultiIndex.from_tuples(names)))
            blocks.append(cov)
            loglik += ll
        if problems:
            return None, None, np.nan, problems
        params = pd.concat(params)
        params.index.names = ["param", "covariate"]
        from scipy.linalg import block_diag

        return params, block_diag(*blocks), loglik, []

    def _cumhaz(self, X, t):
        edges = np.r_[0.0, np.asarray(self.breakpoints, float), np.inf]
        h = np.zeros(np.broadcast_shapes(t.shape, (len(X), 1)))
        for j in range(len(edges) - 1):
            rate = np.exp(-self._linear(X, f"lambda_{j}_"))[:, None]
            h = h + rate * np.clip(t - edges[j], 0.0, edges[j + 1] - edges[j])
        return h
