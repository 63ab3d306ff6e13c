"""Cox proportional-hazards models of churn.

:class:`CoxModel` fits ``h(t | x) = h0(t) exp(x'beta)`` to a :class:`~churnsurv.data.ChurnData`,
with a formula over its covariate columns. Which engine computes the estimates:

==========================================  =====================================================
case                                        engine
==========================================  =====================================================
``ties="efron"`` (default)                  churnsurv's own Newton-Raphson (``_cox_core``)
``ties="efron"`` with case weights or       lifelines ``CoxPHFitter``
robust SEs
``ties="breslow"``                          statsmodels ``PHReg``
``ties="breslow"`` with weights, penalizer, churnsurv's own Newton-Raphson, with the Lin-Wei
robust SEs or entry times                   sandwich for robust SEs
rows collapsed into weights (see below)     churnsurv's own Newton-Raphson, exact
panel data (time-varying covariates)        lifelines ``CoxTimeVaryingFitter`` (Efron) or
                                            churnsurv's own Newton-Raphson (Breslow)
==========================================  =====================================================

All engines give the same numbers as R ``survival::coxph`` with the same ties (the tests check
statsmodels, lifelines and R to 1e-6 or better). Why an own Efron engine when lifelines has one:
the project's target for a million customers with ten covariates is "no slower than lifelines,
at most 1 GB", and lifelines alone peaks at 1.2 GB there. The own engine gives lifelines'
coefficients and standard errors (tested to 1e-8) in under half its time and 0.7 GB
(``benchmarks/RESULTS.md``), because it builds the risk sets once and sums them once per
distinct event time rather than per customer. lifelines remains the engine where its
conventions are the reference (weighted and robust Efron fits, time-varying panels) and the
test reference for the rest.

Collapsing: when every covariate is categorical, customers with the same (duration, event,
entry, stratum, covariate pattern) are merged into one weighted row. With the R convention for
tied deaths (the Efron correction spreads the *summed* death weight), this is exact for both
Breslow and Efron ties, so ``collapse="auto"`` does it whenever it shrinks the data at least
four-fold and no robust SE, case weight or penalizer is asked for.

With case weights and ``ties="efron"`` lifelines counts tied *rows* rather than tied weight; its
estimates then differ slightly from R's (a few per cent of a standard error). Use
``ties="breslow"`` for frequency weights if you need R's numbers exactly.

Predictions use the Breslow estimator of the baseline hazard (as lifelines does), a step function
that is known only up to the last follow-up time of each stratum: later cells are NaN, never
extrapolated. Use :mod:`churnsurv.regression.parametric` to extrapolate.
"""

from __future__ import annotations

import html
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._validation import (
    check_choice,
    check_conf_level,
    check_is_fitted,
    check_penalizer,
    z_quantile,
)
from churnsurv.exceptions import AssumptionWarning, ConvergenceError, DataValidationError
from churnsurv.regression.cox import engines as core
from churnsurv.regression.cox.diagnostics import ProportionalHazardsChecks
from churnsurv.regression.cox.predict import CoxPrediction
from churnsurv.regression.design import Design

__all__ = ["CoxModel"]

_TIES = ("efron", "breslow")


class CoxModel(ProportionalHazardsChecks, CoxPrediction):
    """Cox proportional-hazards regression of time to churn.

    Parameters
    ----------
    formula : str
        Right-hand side over the data's covariate columns, e.g. ``"Contract + MonthlyCharges"``.
        Categorical columns get treatment coding against a reference level: the first level in
        sorted order (or the pandas category order) unless named with
        ``C(x, contr.treatment('level'))``; the levels are stated in ``reference_levels_`` and in
        the HTML summary.
    strata : str or list of str, optional
        Columns whose levels get their own baseline hazard (no coefficient is estimated).
    penalizer : float, default 0.0
        Ridge penalty ``0.5 * n * penalizer * sum((beta_j * sd(x_j))**2)`` subtracted from the
        log partial likelihood (lifelines' convention: on standardised covariates, per row, so
        the same value shrinks alike at any ``n``). A small value (0.001-0.1) tames separation.
    ties : {"efron", "breslow"}, default "efron"
        Handling of tied churn times; see the module docstring for the engine each one uses.
    robust : bool, default False
        Huber-White sandwich ("robust", Lin-Wei) standard errors; clustered with
        ``fit(cluster=...)``.
    conf_level : float, default 0.95
        Confidence level of the intervals.
    collapse : {"auto", True, False}, default "auto"
        Merge identical rows into weights (exact; see the module docstring).

    Attributes
    ----------
    params_ : pandas.Series
        Log hazard ratios by design column.
    variance_matrix_ : pandas.DataFrame
        Their covariance (robust if ``robust=True``).
    reference_levels_ : dict
        Reference level of each categorical factor.
    engine_ : str
        The library that computed the estimates.
    n_, n_events_ : int
        Customers (intervals for panels) and churn events used.
    summary : pandas.DataFrame
        Per term: log-HR, SE, HR with CI, z, p.
    fit_statistics : pandas.DataFrame
        n, events, log-likelihood, likelihood-ratio / Wald / score tests, concordance.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes", time_unit="month")
    >>> cox = CoxModel("Contract + SeniorCitizen").fit(data)
    >>> cox.reference_levels_
    {'Contract': 'Month-to-month'}
    >>> cox.summary["hr"].round(3)
    term
    Contract[T.One year]    0.113
    Contract[T.Two year]    0.015
    SeniorCitizen           1.025
    Name: hr, dtype: float64
    """

    def __init__(
        self,
        formula: str,
        *,
        strata=None,
        penalizer: float = 0.0,
        ties: str = "efron",
        robust: bool = False,
        conf_level: float = 0.95,
        collapse="auto",
    ) -> None:
        check_choice("ties", ties, _TIES)
        self.conf_level = check_conf_level(conf_level)
        check_penalizer(penalizer)
        check_choice("collapse", collapse, ("auto", True, False))
        self.formula = formula
        self.strata = strata
        self.penalizer = penalizer
        self.ties = ties
        self.robust = robust
        self.collapse = collapse

    # ------------------------------------------------------------------------------ fitting
    def fit(self, data, *, weights: str | None = None, cluster: str | None = None) -> CoxModel:
        """Fit the model to a :class:`~churnsurv.data.ChurnData`.

        Parameters
        ----------
        data : ChurnData
            From :func:`churnsurv.prepare` (one row per customer, optionally with entry times
            for left truncation) or :func:`churnsurv.prepare_panel` (time-varying covariates).
        weights : str, optional
            Column of positive case weights.
        cluster : str, optional
            Column of cluster labels for clustered robust SEs (implies ``robust=True``). For a
            panel, standard errors are clustered on the customer when ``robust=True``.

        Returns
        -------
        CoxModel
            ``self``, fitted.

        Raises
        ------
        DataValidationError
            Unknown or missing columns, no events.
        ValueError
            Constant, collinear or separated terms (the message names them).
        ConvergenceError
            The fit diverged; the message names the term and suggests a penalizer.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes", time_unit="month")
        >>> CoxModel("Contract + MonthlyCharges", ties="breslow").fit(data).engine_
        'statsmodels PHReg'

        With only categorical terms, identical rows are collapsed into weights (exact):

        >>> CoxModel("Contract", ties="breslow").fit(data).engine_
        'churnsurv Newton-Raphson on 374 collapsed rows'
        """
        purpose = f"CoxModel({self.formula!r})"
        self._design = Design(self.formula)
        strata = (
            []
            if self.strata is None
            else [self.strata]
            if isinstance(self.strata, str)
            else list(self.strata)
        )
        extra = [c for c in [weights, cluster] if c is not None]
        data.require_columns(self._design.variables + strata + extra, purpose=purpose)
        data.require_events(purpose=purpose)
        frame = data.frame
        X = self._design.fit_transform(frame, purpose=purpose)
        self.reference_levels_ = dict(self._design.reference_levels)
        self.panel_ = bool(getattr(data, "panel", False))
        n = len(frame)
        time = frame["duration"].to_numpy(float)
        event = frame["event"].to_numpy(bool)
        entry = None
        if self.panel_:
            entry = frame["start"].to_numpy(float)
        elif data.has_entry:
            entry = frame["entry"].to_numpy(float)
        w = np.ones(n)
        if weights is not None:
            data.require_columns([weights], purpose=purpose, numeric=True)
            w = frame[weights].to_numpy(float)
            if (w <= 0).any() or not np.isfinite(w).all():
                raise DataValidationError(
                    f"column {weights!r}: case weights must be positive and finite "
                    f"({int((w <= 0).sum())} row(s) are not).",
                    column=weights,
                    rule="non-positive weight",
                )
        labels = None
        if strata:
            labels = frame[strata].astype(str).agg(" / ".join, axis=1).to_numpy()
        self.strata_columns_ = strata
        xv = X.to_numpy()  # a view: the design is one float block
        del X
        self._check_design(xv, event, w)
        self.center_ = (w @ xv) / w.sum()
        xc = np.subtract(xv, self.center_, order="C")  # row-major: what the engine reads
        robust = self.robust or cluster is not None
        groups = None
        if robust:
            groups = (
                frame[cluster].to_numpy()
                if cluster is not None
                else (frame.index.to_numpy() if self.panel_ else np.arange(n))
            )
        self.n_, self.n_events_ = n, int(event.sum())
        self.weighted_ = weights is not None
        # everything fit() was told besides the data, so a refit (bootstrap) repeats it
        self.fit_params_ = {"weights": weights, "cluster": cluster}
        self._index = frame.index
        self._approx_cov = False
        self._train = dict(X=xc, time=time, event=event, w=w, entry=entry, strata=labels)
        self._risk_sets = None
        beta, cov = self._run_engine(xv, xc, time, event, w, entry, labels, groups, robust, cluster)
        cols = self._design.columns
        self.params_ = pd.Series(beta, index=pd.Index(cols, name="term"), name="log_hr")
        self.variance_matrix_ = pd.DataFrame(cov, index=cols, columns=cols)
        self.robust_ = robust
        self._check_convergence()
        base = core.baseline_hazard(self._risk(), beta)
        self.baseline_ = {k: (t, np.cumsum(h)) for k, (t, h) in base.items()}
        follow = pd.Series(time).groupby(labels if labels is not None else np.zeros(n)).max()
        self.max_time_ = {(None if labels is None else k): float(v) for k, v in follow.items()}
        self.time_unit_ = data.time_unit
        self._cache = {}
        return self

    def _check_design(self, xv: np.ndarray, event: np.ndarray, w: np.ndarray) -> None:
        """Raise on constant, collinear or separated terms; set ``sd_`` and ``_binary``."""
        cols = self._design.columns
        n = len(xv)
        mean = xv.mean(axis=0)
        cov = xv.T @ xv / n - np.outer(mean, mean)  # no n x p temporary
        sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
        self.sd_ = sd * np.sqrt(n / max(n - 1, 1))  # sample SD, as lifelines standardises
        lo, hi = xv.min(axis=0), xv.max(axis=0)
        self._binary = np.array(
            [
                lo[j] >= 0 and hi[j] <= 1 and bool(((xv[:, j] == 0) | (xv[:, j] == 1)).all())
                for j in range(xv.shape[1])
            ]
        )
        for j in np.flatnonzero(sd <= 1e-7 * np.maximum(1.0, np.abs(mean))):
            raise ValueError(
                f"term {cols[j]!r} is constant (every row has the value {xv[0, j]:g}): its effect "
                "cannot be estimated. Drop it from the formula (or, for a level that never "
                "occurs, remove the unused category)."
            )
        evals, evecs = np.linalg.eigh(cov / np.outer(sd, sd))
        if evals[0] < 1e-9 * max(evals[-1], 1.0):
            v = evecs[:, 0]
            involved = [cols[j] for j in np.flatnonzero(np.abs(v) > 1e-4)]
            raise ValueError(
                f"terms {involved} are perfectly collinear (one is a linear combination of the "
                "others, or of the baseline): their effects cannot be separated. Drop one of them "
                "from the formula."
            )
        if self.penalizer:
            return  # the penalty keeps a separated term's coefficient finite
        binary = self._binary
        ones = xv.sum(axis=0)  # rows with x = 1 (for binary columns)
        ev_ones = event.astype(float) @ xv  # ... of which churned
        n_ev = float(event.sum())
        for name, idx in self._design.terms.items():
            if not binary[idx].all():
                continue
            checks = [(self._design.label(cols[j]), ones[j], ev_ones[j]) for j in idx]
            rest, rest_ev = n - ones[idx].sum(), n_ev - ev_ones[idx].sum()
            if len(idx) > 1 and (xv[:, idx].sum(axis=1) > 1).any():
                rest = 0  # not one factor's dummies (e.g. an interaction): skip the remainder
            ref = self._design.reference_levels.get(name)
            label = f"{name}: {ref} (the reference level)" if ref is not None else f"{name} = 0"
            checks.append((label, rest, rest_ev))
            for label, size, n_events in checks:
                if size > 0 and n_events == 0:
                    raise ValueError(
                        f"{label}: no churn events among its {int(size)} row(s), so its "
                        "hazard ratio is 0 and the coefficient diverges (separation). Merge the "
                        "level with a similar one, drop those rows, or fit with a penalizer "
                        "(e.g. CoxModel(..., penalizer=0.1))."
                    )

    def _run_engine(self, xv, xc, time, event, w, entry, labels, groups, robust, cluster):
        # lifelines' ridge convention: n * penalizer / 2 * sum of squared standardised coefficients
        lam = len(time) * self.penalizer * self.sd_**2 if self.penalizer else None
        # every design column 0/1: covariates are categorical (or binary) -> few patterns
        patterns_only = bool(self._binary.all())
        plain = not robust and not self.weighted_ and not self.penalizer and not self.panel_
        if self.collapse is True and not plain:
            raise ValueError(
                "collapse=True is exact only without robust SEs, case weights, a penalizer or "
                "panel data; use collapse='auto'."
            )
        if plain and (self.collapse is True or (self.collapse == "auto" and patterns_only)):
            keys = pd.DataFrame(xv).assign(
                _t=time,
                _e=event,
                _s=labels if labels is not None else 0,
                _a=entry if entry is not None else 0.0,
            )
            grouped = keys.groupby(list(keys.columns), sort=False, observed=True)
            if self.collapse is True or grouped.ngroups * 4 <= len(keys):
                first = grouped.head(1).index.to_numpy()
                cw = grouped.size().to_numpy().astype(float)
                codes = grouped.ngroup().to_numpy()
                first = first[np.argsort(codes[first])]
                self.engine_ = f"churnsurv Newton-Raphson on {len(cw)} collapsed rows"
                risk = core.RiskSets(
                    xc[first],
                    time[first],
                    event[first],
                    cw,
                    entry=None if entry is None else entry[first],
                    strata=None if labels is None else labels[first],
                    ties=self.ties,
                )
                return self._newton(risk, None)
        if self.ties == "breslow" and (plain and entry is None):
            return self._phreg(xc, time, event, labels)
        if self.ties == "breslow" or not (robust or self.weighted_ or self.panel_):
            # Breslow: statsmodels PHReg counts a row whose entry equals an event time as at
            # risk then (R: start < t <= stop), which is wrong for panels and monthly entry
            # times, and its robust covariance fails with entry times. Efron: the same numbers
            # as lifelines (tested to 1e-8) in a third of its time and memory (see module doc).
            self.engine_ = "churnsurv Newton-Raphson"
            beta, cov = self._newton(self._risk(), lam)
            if robust:
                cov = core.robust_covariance(
                    xc,
                    time,
                    event,
                    w,
                    beta,
                    -np.linalg.inv(cov),
                    groups,
                    entry=entry,
                    strata=labels,
                )
            return beta, cov
        return self._lifelines(xv, time, event, w, entry, labels, groups, robust, cluster)

    def _risk(self) -> core.RiskSets:
        """The training data's risk sets (built once; shared by the fit and the statistics)."""
        if self._risk_sets is None:
            tr = self._train
            self._risk_sets = core.RiskSets(
                tr["X"],
                tr["time"],
                tr["event"],
                tr["w"],
                entry=tr["entry"],
                strata=tr["strata"],
                ties=self.ties,
            )
        return self._risk_sets

    def _newton(self, risk, lam):
        beta, _, hess, ok = core.fit_newton(risk, penalty=lam)
        if not ok:
            self._diverged(beta)
        return beta, np.linalg.inv(-hess)

    def _phreg(self, xc, time, event, labels):
        from statsmodels.duration.hazard_regression import PHReg

        self.engine_ = "statsmodels PHReg"
        model = PHReg(time, xc, status=event.astype(float), strata=labels, ties="breslow")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = model.fit()
        beta = np.asarray(res.params)
        failed = any("converge" in str(c.message).lower() for c in caught)
        if failed or not (np.isfinite(beta).all() and np.isfinite(res.bse).all()):
            # PHReg's unguarded Newton steps can overflow (e.g. on the Iranian data); our own
            # engine, with step halving, maximises the same likelihood
            self.engine_ = "churnsurv Newton-Raphson (statsmodels PHReg did not converge)"
            return self._newton(self._risk(), None)
        return beta, np.asarray(res.cov_params())

    def _lifelines(self, xv, time, event, w, entry, labels, groups, robust, cluster):
        from lifelines import CoxPHFitter, CoxTimeVaryingFitter
        from lifelines import exceptions as ll_exc

        df = pd.DataFrame(xv, columns=[f"x{j}" for j in range(xv.shape[1])])
        df["__t"], df["__e"] = time, event
        # lifelines stops when the log-likelihood changes by < 1e-9 (relative), which can leave
        # 1e-5 in a coefficient; iterate to the Newton step instead (one or two more steps).
        kw = {"fit_options": {"precision": 1e-10, "r_precision": 1e-14}}
        if self.weighted_:
            df["__w"] = w
            kw["weights_col"] = "__w"
        if labels is not None:
            df["__s"] = labels
            kw["strata"] = ["__s"]
        if self.panel_:
            df["__start"], df["__id"] = entry, groups if groups is not None else 0
            fitter = CoxTimeVaryingFitter(penalizer=self.penalizer, alpha=1 - self.conf_level)
            if groups is None:
                df = df.drop(columns="__id")
            call = lambda: fitter.fit(  # noqa: E731
                df,
                event_col="__e",
                start_col="__start",
                stop_col="__t",
                robust=robust,
                id_col="__id" if groups is not None else None,
                **kw,
            )
            self.engine_ = "lifelines CoxTimeVaryingFitter"
        else:
            if entry is not None:
                df["__entry"] = entry
                kw["entry_col"] = "__entry"
            if cluster is not None:
                df["__c"] = groups
                kw["cluster_col"] = "__c"
            fitter = CoxPHFitter(penalizer=self.penalizer, alpha=1 - self.conf_level)
            call = lambda: fitter.fit(df, "__t", "__e", robust=robust, **kw)  # noqa: E731
            self.engine_ = "lifelines CoxPHFitter"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                call()
            except ll_exc.ConvergenceError:
                beta = getattr(fitter, "params_", None)
                self._diverged(None if beta is None else np.asarray(beta))
        for c in caught:
            if issubclass(c.category, ll_exc.ConvergenceWarning):
                self._diverged(np.asarray(fitter.params_))
            elif issubclass(c.category, ll_exc.StatisticalWarning):
                warnings.warn(
                    "case weights are not integers: the model-based standard errors are then "
                    "not valid; refit with robust=True.",
                    AssumptionWarning,
                    stacklevel=4,
                )
        self._fitter = fitter
        cov = fitter.variance_matrix_.to_numpy()  # lifelines keeps the model-based one here
        if robust:
            # lifelines stores only the robust SEs, not the robust covariance: keep its exact SEs
            # with the model-based correlations; the Wald test is then not reported.
            se = fitter.standard_errors_.to_numpy()
            d = np.sqrt(np.diag(cov))
            cov = cov * np.outer(se / d, se / d)
            self._approx_cov = True
        return fitter.params_.to_numpy(), cov

    def _diverged(self, beta) -> None:
        cols = self._design.columns
        if beta is None or not np.all(np.isfinite(beta)):
            # the engine stopped without a usable estimate: a few guarded Newton steps of our
            # own show which coefficient runs away
            beta = core.fit_newton(self._risk(), max_iter=25)[0]
        if np.all(np.isfinite(beta)):
            j = int(np.argmax(np.abs(beta) * self.sd_))
            what = f"term {cols[j]!r} diverged (coefficient {beta[j]:.3g})"
        else:
            what = f"the fit diverged (terms {cols})"
        raise ConvergenceError(
            f"CoxModel({self.formula!r}) did not converge: {what}. This usually means "
            "(quasi-)separation or near-collinearity: check that term, or fit with a penalizer, "
            "e.g. CoxModel(..., penalizer=0.1)."
        )

    def _check_convergence(self) -> None:
        beta = self.params_.to_numpy()
        se = np.sqrt(np.diag(self.variance_matrix_.to_numpy()))
        bad = ~np.isfinite(se) | (np.abs(beta) * self.sd_ > 20)
        if bad.any():
            self._diverged(beta)

    # ------------------------------------------------------------------------------ summary
    def _fitted(self) -> None:
        check_is_fitted(self)

    @property
    def standard_errors_(self) -> pd.Series:
        """Standard errors of the log hazard ratios.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> CoxModel("SeniorCitizen").fit(data).standard_errors_.round(4).tolist()
        [0.0531]
        """
        self._fitted()
        return pd.Series(
            np.sqrt(np.diag(self.variance_matrix_)), index=self.params_.index, name="std_err"
        )

    @property
    def summary(self) -> pd.DataFrame:
        """Per-term table: ``log_hr``, ``std_err``, ``hr``, ``hr_lower``, ``hr_upper``, ``z``,
        ``p_value``.

        ``hr = exp(log_hr)`` is the hazard ratio per unit of the term (for a level: against the
        reference level, see ``reference_levels_``); the CI is at ``conf_level`` (Wald, on the log
        scale); ``p_value`` is two-sided. ``label`` is a readable name of the term.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> CoxModel("SeniorCitizen").fit(data).summary.columns.tolist()
        ['label', 'log_hr', 'std_err', 'hr', 'hr_lower', 'hr_upper', 'z', 'p_value']
        """
        self._fitted()
        b, se = self.params_, self.standard_errors_
        q = z_quantile(self.conf_level)
        out = pd.DataFrame(
            {
                "label": [self._design.label(c) for c in b.index],
                "log_hr": b,
                "std_err": se,
                "hr": np.exp(b),
                "hr_lower": np.exp(b - q * se),
                "hr_upper": np.exp(b + q * se),
                "z": b / se,
                "p_value": 2 * stats.norm.sf(np.abs(b / se)),
            },
            index=b.index,
        )
        out.attrs["conf_level"] = self.conf_level
        return out

    @property
    def fit_statistics(self) -> pd.DataFrame:
        """Model rows: n, events, log-likelihood, LR / Wald / score tests, concordance.

        Columns ``value``, ``df`` and ``p_value``. The tests compare the fitted model with the null
        model (all log-HRs 0), as R's ``summary.coxph`` does; the Wald test uses the (robust, if
        asked) covariance. With ``robust=True`` and Efron ties lifelines supplies only the robust
        standard errors, not their covariance: ``variance_matrix_`` then holds the robust
        variances with model-based correlations and the Wald test is NaN. The concordance is
        Harrell's C on the training data (lifelines ``concordance_index``; 0.5 = no
        discrimination).

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> st = CoxModel("Contract").fit(data).fit_statistics
        >>> st.index.tolist()
        ['n', 'events', 'log-likelihood', 'likelihood-ratio test', 'Wald test', 'score test', \
'concordance']
        >>> round(float(st.loc["concordance", "value"]), 3)
        0.772
        """
        self._fitted()
        if "stats" not in self._cache:
            self._cache["stats"] = self._compute_statistics()
        return self._cache["stats"]

    def _on_train(self, fn, beta=None, *extra):
        """Call a :mod:`churnsurv.regression.cox.engines` function on the training data at ``beta``.

        ``beta`` defaults to the fitted coefficients; ``extra`` positional arguments follow it.
        """
        tr = self._train
        beta = self.params_.to_numpy() if beta is None else beta
        return fn(
            tr["X"],
            tr["time"],
            tr["event"],
            tr["w"],
            beta,
            *extra,
            entry=tr["entry"],
            strata=tr["strata"],
            ties=self.ties,
        )

    def _compute_statistics(self) -> pd.DataFrame:
        from lifelines.utils import concordance_index

        tr = self._train
        beta = self.params_.to_numpy()
        p = len(beta)
        ll, _, _ = self._risk().evaluate(beta)
        ll0, u0, h0 = self._risk().evaluate(np.zeros(p))
        if self.engine_.startswith("lifelines") and self.weighted_ and not self.penalizer:
            ll = float(self._fitter.log_likelihood_)  # lifelines' own weighted-Efron convention
        lr = 2 * (ll - ll0)
        wald = float(beta @ np.linalg.solve(self.variance_matrix_.to_numpy(), beta))
        if getattr(self, "_approx_cov", False):
            wald = np.nan  # robust Efron fits: lifelines gives robust SEs only (see fit)
        score = float(u0 @ np.linalg.solve(-h0, u0))
        if self.panel_:
            conc = np.nan  # Harrell's C is not defined for time-varying covariates here
        else:
            conc = concordance_index(tr["time"], -(tr["X"] @ beta), tr["event"])
        rows = {
            "n": (self.n_, np.nan, np.nan),
            "events": (self.n_events_, np.nan, np.nan),
            "log-likelihood": (ll, np.nan, np.nan),
            "likelihood-ratio test": (lr, p, stats.chi2.sf(lr, p)),
            "Wald test": (wald, p, stats.chi2.sf(wald, p)),
            "score test": (score, p, stats.chi2.sf(score, p)),
            "concordance": (conc, np.nan, np.nan),
        }
        return pd.DataFrame(rows, index=["value", "df", "p_value"]).T

    def _repr_html_(self) -> str:
        if not hasattr(self, "params_"):
            return f"<p>CoxModel({html.escape(repr(self.formula))}), not fitted</p>"
        refs = ", ".join(f"{k}: {v}" for k, v in self.reference_levels_.items()) or "none"
        st = self.fit_statistics
        head = (
            f"<p><strong>Cox model</strong> {html.escape(self.formula)} &mdash; ties: "
            f"{self.ties}, engine: {html.escape(self.engine_)}"
            f"{', robust SE' if self.robust_ else ''}"
            f"{', strata: ' + ', '.join(self.strata_columns_) if self.strata_columns_ else ''}"
            f"<br>reference levels: {html.escape(refs)}</p>"
        )
        return (
            head
            + self.summary.to_html(float_format="{:.4g}".format)
            + st.to_html(float_format="{:.4g}".format, na_rep="")
        )

    def to_latex(self) -> str:
        r"""The per-term summary as a LaTeX ``tabular`` (HR with CI, SE of log-HR, p).

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> print(CoxModel("SeniorCitizen").fit(data).to_latex())  # doctest: +ELLIPSIS
        \begin{tabular}{lrrrr}
        ...
        SeniorCitizen & 1.726 & [1.555, 1.915] & 0.0531 & <0.001 \\
        ...
        """
        self._fitted()
        pct = round(100 * self.conf_level)
        lines = [
            "\\begin{tabular}{lrrrr}",
            "\\hline",
            f"Term & HR & {pct}\\% CI & SE(log HR) & p \\\\",
            "\\hline",
        ]
        for _, r in self.summary.iterrows():
            label = r["label"].replace("_", "\\_").replace("&", "\\&").replace("%", "\\%")
            p = "<0.001" if r["p_value"] < 0.001 else f"{r['p_value']:.3f}"
            lines.append(
                f"{label} & {r['hr']:.3f} & [{r['hr_lower']:.3f}, {r['hr_upper']:.3f}]"
                f" & {r['std_err']:.4f} & {p} \\\\"
            )
        st = self.fit_statistics
        lines += [
            "\\hline",
            f"\\multicolumn{{5}}{{l}}{{n = {self.n_}, events = {self.n_events_}, "
            f"concordance = {st.loc['concordance', 'value']:.3f}}} \\\\",
            "\\hline",
            "\\end{tabular}",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        state = f"fitted, n={self.n_}" if hasattr(self, "params_") else "not fitted"
        return f"CoxModel({self.formula!r}, ties={self.ties!r}) [{state}]"

    # -------------------------------------------------------------------------------- plots
    def plot(self, *, ax=None):
        """Hazard-ratio forest plot (log scale) with confidence intervals at ``conf_level``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> ax = CoxModel("Contract + SeniorCitizen").fit(data).plot()
        >>> ax.get_xscale()
        'log'
        """
        from churnsurv.plotting.cox import forest_plot

        s = self.summary
        return forest_plot(
            s["label"].tolist(),
            s["hr"].to_numpy(),
            s["hr_lower"].to_numpy(),
            s["hr_upper"].to_numpy(),
            ci_level=self.conf_level,
            ax=ax,
        )
