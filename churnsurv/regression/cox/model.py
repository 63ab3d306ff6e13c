"""Cox proportional-hazards models of churn.

:class:`CoxModel` fits ``h(t | x) = h0(t) exp(x'beta)`` to a :class:`~churnsurv.data.ChurnData`,
with a formula over its covariate columns. The front end here builds the model frame and
checks the design; :mod:`~churnsurv.regression.cox.engines` picks the engine and fits (its
docstring has the table of which engine fits what, and why); predictions and diagnostics are
functions of the fitted state (:mod:`~.predict`, :mod:`~.diagnostics`, :mod:`~.fitted`).

Predictions use the Breslow estimator of the baseline hazard (as lifelines does), a step function
that is known only up to the last follow-up time of each stratum: later cells are NaN, never
extrapolated. Use :mod:`churnsurv.regression.parametric` to extrapolate.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._render import text_block
from churnsurv._typing import ArrayLike, Axes, Columns
from churnsurv._validation import (
    as_list,
    check_choice,
    check_conf_level,
    check_is_fitted,
    check_penalizer,
    z_quantile,
)
from churnsurv.data import ChurnData
from churnsurv.exceptions import AssumptionWarning, ConvergenceError, DataValidationError
from churnsurv.regression.cox import diagnostics, engines, predict, statistics
from churnsurv.regression.cox import likelihood as core
from churnsurv.regression.cox.fitted import CoxFit, CoxTraining, RemovedTraining
from churnsurv.regression.cox.risksets import strata_rows
from churnsurv.regression.cox.strata import strata_labels
from churnsurv.regression.design import Design, check_design, churn_probability

__all__ = ["CoxModel"]

_TIES = ("efron", "breslow")


class CoxModel:
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
        Sandwich ("robust", Lin-Wei) standard errors as R ``coxph(..., robust = TRUE)``, from
        the score residuals of the chosen ties (Efron's weights for Efron); clustered with
        ``fit(cluster=...)``, and on the customer for a panel.
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
    Contract[T.One year]    0.112
    Contract[T.Two year]    0.015
    SeniorCitizen           1.025
    Name: hr, dtype: float64
    """

    def __init__(
        self,
        formula: str,
        *,
        strata: Columns = None,
        penalizer: float = 0.0,
        ties: str = "efron",
        robust: bool = False,
        conf_level: float = 0.95,
        collapse: bool | str = "auto",
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
    def fit(
        self, data: ChurnData, *, weights: str | None = None, cluster: str | None = None
    ) -> CoxModel:
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
        'churnsurv Newton-Raphson'

        With only categorical terms, identical rows are collapsed into weights (exact):

        >>> CoxModel("Contract", ties="breslow").fit(data).engine_
        'churnsurv Newton-Raphson on 374 collapsed rows'
        """
        purpose = f"CoxModel({self.formula!r})"
        design = Design(self.formula)
        strata = as_list(self.strata)
        extra = [c for c in [weights, cluster] if c is not None]
        data.require_columns(design.variables + strata + extra, purpose=purpose)
        data.require_events(purpose=purpose)
        frame = data.frame
        X = design.fit_transform(frame, purpose=purpose)
        panel = data.panel
        n = len(frame)
        time = frame["duration"].to_numpy(float)
        event = frame["event"].to_numpy(bool)
        entry = data.entries if data.has_entry else None  # a panel's interval starts
        w = self._case_weights(data, weights, cluster, purpose)
        labels = None
        if strata:
            labels = strata_labels(frame, strata)  # the text of the columns joined by " / "
        xv = X.to_numpy()  # a view: the design is one float block
        del X
        sd, binary = check_design(design, xv, event, penalized=bool(self.penalizer))
        center = (w @ xv) / w.sum()
        train = CoxTraining(xv, center, time, event, w, entry, labels, frame.index, self.ties)
        robust = self.robust or cluster is not None
        groups = None
        if robust:
            groups = (
                frame[cluster].to_numpy()
                if cluster is not None
                else (frame.index.to_numpy() if panel else np.arange(n))
            )
        spec = engines.FitSpec(
            ties=self.ties,
            penalizer=self.penalizer,
            conf_level=self.conf_level,
            collapse=self.collapse,
            robust=robust,
            weighted=weights is not None,
            panel=panel,
            binary_design=bool(binary.all()),
            sd=sd,
        )
        try:
            result = engines.fit(spec, xv, train, groups)
            self._check_convergence(result.beta, result.cov, sd)
        except engines.Diverged as exc:
            raise self._diverged(exc.beta, design, sd, train) from None
        self._store(data, design, train, result, strata, center, sd, robust, weights is not None)
        # everything fit() was told besides the data, so a refit (bootstrap) repeats it
        self.fit_params_ = {"weights": weights, "cluster": cluster}
        self._cache: dict = {}
        return self

    def _case_weights(self, data: ChurnData, weights, cluster, purpose: str) -> np.ndarray:
        """Positive, finite case weights (ones without); a warning for non-integer weights
        with model-based standard errors."""
        if weights is None:
            return np.ones(data.n)
        data.require_columns([weights], purpose=purpose, numeric=True)
        w = data.frame[weights].to_numpy(float)
        if (w <= 0).any() or not np.isfinite(w).all():
            raise DataValidationError(
                f"column {weights!r}: case weights must be positive and finite "
                f"({int((w <= 0).sum())} row(s) are not).",
                column=weights,
                rule="non-positive weight",
            )
        if not self.robust and cluster is None and not np.allclose(w, np.rint(w)):
            warnings.warn(
                f"column {weights!r}: case weights are not whole numbers; the model-based "
                "standard errors treat them as frequencies (as R coxph does), which is not "
                "valid for sampling weights: refit with robust=True.",
                AssumptionWarning,
                stacklevel=3,
            )
        return w

    def _store(self, data, design, train, result, strata, center, sd, robust, weighted) -> None:
        """Keep the fitted state (``fit_state_``) and the fitted attributes users read."""
        cols = design.columns
        params = pd.Series(result.beta, index=pd.Index(cols, name="term"), name="log_hr")
        base = core.baseline_hazard(train.risk_sets(), result.beta)
        train.release_design()  # the risk sets' sorted copy serves from here on
        labels, n = train.strata, len(train.time)
        if labels is None:
            max_time = {None: float(train.time.max())}
        else:  # per stratum, from the groups the fit made (not a hash of every label again)
            groups = strata_rows(labels, n)
            max_time = {labels[rows[0]]: float(train.time[rows].max()) for rows in groups}
        self.fit_state_ = CoxFit(
            design=design,
            params=params,
            center=center,
            strata_columns=strata,
            baseline={k: (t, np.cumsum(h)) for k, (t, h) in base.items()},
            max_time=max_time,
            time_unit=data.time_unit,
            train=train,
        )
        self.params_ = params
        self.variance_matrix_ = pd.DataFrame(result.cov, index=cols, columns=cols)
        self.engine_ = result.engine
        self.reference_levels_ = dict(design.reference_levels)
        self.strata_columns_ = strata
        self.center_ = center
        self.sd_ = sd
        self.panel_ = data.panel
        self.robust_ = robust
        self.weighted_ = weighted
        self.n_, self.n_events_ = n, int(train.event.sum())
        self.time_unit_ = data.time_unit
        self.max_time_ = self.fit_state_.max_time
        self.baseline_ = self.fit_state_.baseline

    @staticmethod
    def _check_convergence(beta: np.ndarray, cov: np.ndarray, sd: np.ndarray) -> None:
        se = np.sqrt(np.diag(cov))
        if (~np.isfinite(se) | (np.abs(beta) * sd > 20)).any():
            raise engines.Diverged(beta)

    def _diverged(self, beta, design: Design, sd: np.ndarray, train: CoxTraining):
        """The ConvergenceError naming the term that ran away."""
        cols = design.columns
        if beta is None or not np.all(np.isfinite(beta)):
            # the engine stopped without a usable estimate: a few guarded Newton steps of our
            # own show which coefficient runs away
            beta = core.fit_newton(train.risk_sets(), max_iter=25)[0]
        if np.all(np.isfinite(beta)):
            j = int(np.argmax(np.abs(beta) * sd))
            what = f"term {cols[j]!r} diverged (coefficient {beta[j]:.3g})"
        else:
            what = f"the fit diverged (terms {cols})"
        return ConvergenceError(
            f"CoxModel({self.formula!r}) did not converge: {what}. This usually means "
            "(quasi-)separation or near-collinearity: check that term, or fit with a penalizer, "
            "e.g. CoxModel(..., penalizer=0.1)."
        )

    # ------------------------------------------------------------------------------ summary
    def _fitted(self) -> CoxFit:
        check_is_fitted(self)
        return self.fit_state_

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
        with np.errstate(over="ignore"):  # a per-unit HR of a huge coefficient is inf/0
            out = pd.DataFrame(
                {
                    "label": [self.fit_state_.design.label(c) for c in b.index],
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
        asked) covariance, the score test the model-based information. The concordance is
        Harrell's C of the linear predictor on the training data as R ``concordance(fit)``
        computes it: within strata, case-weighted, over the risk sets of entry times and panels
        (see :func:`churnsurv.metrics.harrell_c`; 0.5 = no discrimination).

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

    def _compute_statistics(self) -> pd.DataFrame:
        return statistics.fit_statistics(
            self.fit_state_,
            self.variance_matrix_.to_numpy(),
        )

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
        SeniorCitizen & 1.729 & [1.558, 1.918] & 0.0531 & <0.001 \\
        ...
        """
        self._fitted()
        concordance = self.fit_statistics.loc["concordance", "value"]
        return statistics.latex_table(
            self.summary, self.n_, self.n_events_, concordance, self.conf_level
        )

    def __repr__(self) -> str:
        state = f"fitted, n={self.n_}" if hasattr(self, "params_") else "not fitted"
        return f"CoxModel({self.formula!r}, ties={self.ties!r}) [{state}]"

    def __str__(self) -> str:
        if not hasattr(self, "params_"):
            return repr(self)
        head = f"Cox model {self.formula} (ties: {self.ties}, engine: {self.engine_})"
        stats_ = self.fit_statistics
        return text_block(head, [("", self.summary), ("Fit statistics", stats_)])

    # -------------------------------------------------------------------------- predictions
    def design_matrix(self, data: ChurnData | pd.DataFrame) -> pd.DataFrame:
        """The model matrix of ``data`` (one column per term level, not centred).

        The columns are ``params_.index``; categorical levels are coded against the reference
        levels of the fit.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> CoxModel("Contract").fit(data).design_matrix(data).columns.tolist()
        ['Contract[T.One year]', 'Contract[T.Two year]']
        """
        frame = data.frame if hasattr(data, "frame") else data
        return self._fitted().design.transform(frame, purpose="design_matrix")

    def predict_survival(
        self,
        data: ChurnData | pd.DataFrame,
        times: ArrayLike | None = None,
        *,
        conditional: bool = True,
        chunksize: int | None = None,
    ) -> Any:
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
        chunksize : int, optional
            Return an iterator of DataFrames of at most ``chunksize`` customers each, in the
            order of ``data``, instead of one frame: the same numbers, without the whole
            customers × times matrix in memory (1,000,000 customers × 72 periods: 576 MB).

        Returns
        -------
        pandas.DataFrame or iterator of pandas.DataFrame
            Customers × times. Cells beyond the last follow-up time of the customer's stratum
            are NaN: the Cox baseline is not identified there (use a parametric model to
            extrapolate). ``attrs`` records the time scale.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes", time_unit="month")
        >>> cox = CoxModel("Contract + SeniorCitizen").fit(data)
        >>> cox.predict_survival(data.frame.head(3), [1, 12]).round(3)
        time_from_now   1.0    12.0
        customerID
        7590-VHVEG     0.965  0.777
        5575-GNVDE     0.998  0.976
        3668-QPYBK       NaN    NaN
        >>> chunks = cox.predict_survival(data, [1, 12], chunksize=5000)
        >>> [len(c) for c in chunks]
        [5000, 2043]
        """
        return predict.survival(
            self._fitted(), data, times, conditional=conditional, chunksize=chunksize
        )

    def predict_churn_probability(
        self, data: ChurnData | pd.DataFrame, *, within: float
    ) -> pd.Series:
        """Probability that each active customer churns in the next ``within`` periods.

        ``1 - S(tenure + within) / S(tenure)``; NaN for customers who already churned or when
        ``tenure + within`` is beyond the follow-up (see :meth:`predict_survival`).

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes", time_unit="month")
        >>> cox = CoxModel("Contract + SeniorCitizen").fit(data)
        >>> cox.predict_churn_probability(data.frame.head(2), within=6).round(3).tolist()
        [0.137, 0.012]
        """
        self._fitted()
        return churn_probability(self, data, within)

    def predict_expected_lifetime(
        self, data: ChurnData | pd.DataFrame, *, horizon: float, conditional: bool = True
    ) -> pd.Series:
        """Restricted expected (remaining) lifetime: the area under the survival curve.

        With ``conditional=True`` (active customers): ``∫_0^horizon S(tenure + u) / S(tenure) du``,
        the expected number of further periods as a customer within the next ``horizon``
        periods; with ``False``: the restricted mean lifetime from signup. Exact for the step
        function. NaN for churned customers, or when the horizon reaches past the follow-up.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes", time_unit="month")
        >>> cox = CoxModel("Contract").fit(data)
        >>> cox.predict_expected_lifetime(data.frame.head(2), horizon=12).round(2).tolist()
        [10.54, 11.87]
        """
        return predict.expected_lifetime(
            self._fitted(), data, horizon=horizon, conditional=conditional
        )

    def plot_partial_effects(
        self,
        term: str,
        values: Sequence[Any],
        *,
        data: ChurnData | pd.DataFrame | None = None,
        times: ArrayLike | None = None,
        ax: Axes | None = None,
    ) -> Axes:
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
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> cox = CoxModel("Contract + SeniorCitizen").fit(data)
        >>> ax = cox.plot_partial_effects("Contract", ["Month-to-month", "Two year"], data=data)
        >>> len(ax.get_lines())
        2
        """
        from churnsurv.plotting.cox import plot_curves

        fit = self._fitted()
        if data is None:
            raise ValueError(
                "pass data= (e.g. the training ChurnData) to choose typical values "
                "of the other covariates."
            )
        rows = predict.typical_rows(fit, data, term, values)
        if times is None:
            times = np.linspace(0, max(fit.max_time.values()), 200)
        surv = predict.survival(fit, rows, times, conditional=False)
        return plot_curves(
            surv, xlabel=f"tenure ({fit.time_unit}s)", title=f"Partial effect of {term}", ax=ax
        )

    def remove_data(self) -> CoxModel:
        """Let go of the training rows the fitted model keeps; estimates and predictions stay.

        A fitted model keeps its training rows for the diagnostics that read them: the sorted,
        centred design with the risk sets, about ``8 * (p + 6)`` bytes per row (1.2 GB at
        10,000,000 customers and 9 design columns). After ``remove_data`` the coefficients,
        covariance, :attr:`summary`, :attr:`fit_statistics` (computed first, if not yet),
        baseline hazard and every prediction are unchanged, while
        :meth:`check_proportional_hazards`, :meth:`schoenfeld_residuals` and
        :meth:`plot_schoenfeld` raise ``ValueError``: fit again to run them. As statsmodels'
        ``results.remove_data()``.

        Returns
        -------
        CoxModel
            ``self``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> cox = CoxModel("Contract").fit(data)
        >>> before = cox.predict_churn_probability(data.frame.head(2), within=12)
        >>> after = cox.remove_data().predict_churn_probability(data.frame.head(2), within=12)
        >>> bool((before == after).all())
        True
        >>> cox.check_proportional_hazards()
        Traceback (most recent call last):
        ...
        ValueError: this Cox model's training rows were removed (CoxModel.remove_data()); ...
        """
        fit = self._fitted()
        _ = self.fit_statistics  # computed from the rows while they are here
        fit.train = RemovedTraining()
        return self

    # -------------------------------------------------------------------------- diagnostics
    def check_proportional_hazards(
        self, *, transform: str = "km", significance: float = 0.05, plot: bool = False
    ) -> pd.DataFrame:
        """Test proportional hazards with scaled Schoenfeld residuals, per term and globally.

        For each term, the score test of ``beta(t) = beta + gamma * g(t)`` (``gamma = 0`` under
        proportional hazards) with all other coefficients free -- the test R ``survival::cox.zph``
        computes (survival >= 3.0), whose default ``transform="km"`` is ``g = 1 - KM(t-)``, the
        left-continuous Kaplan-Meier estimate. (lifelines'
        ``proportional_hazard_test`` defaults to ``"rank"``, uses an older approximation, and
        its ``"km"`` transform is the case-weighted, right-continuous curve.)
        A term with several columns (a factor) is tested jointly; ``GLOBAL`` tests all at once.

        The time scales follow R exactly (``R/cox.zph.R``): ``"rank"`` ranks the follow-up times
        of **all** rows, censored ones included (``rank(y[, ny - 1])``), not the event times
        only, which changes the statistic a lot on heavily censored data; ``"km"`` uses the
        Kaplan-Meier curve **without** case weights, as R does (the weights enter the score
        test itself). Both are checked against R in ``tests/reference/coxzph.json``.

        Parameters
        ----------
        transform : {"km", "rank", "identity", "log"}, default "km"
            Time scale ``g(t)`` of the alternative (see above).
        significance : float, default 0.05
            Terms with ``p_value < significance`` are named in one :class:`AssumptionWarning`.
        plot : bool, default False
            Also draw the residual plots (:meth:`plot_schoenfeld`).

        Returns
        -------
        pandas.DataFrame
            Rows: terms then ``GLOBAL``; columns ``chisq``, ``df``, ``p_value``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> ph = CoxModel("gender").fit(data).check_proportional_hazards()
        >>> ph.round(3)
                chisq  df  p_value
        term
        gender  1.826   1    0.177
        GLOBAL  1.826   1    0.177

        A violation is not printed but raised as one warning naming the terms:

        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     ph = CoxModel("gender + Partner").fit(data).check_proportional_hazards()
        >>> print(str(caught[0].message)[:73])
        proportional hazards looks violated (cox.zph, transform='km', p < 0.05) f
        """
        out = diagnostics.zph(self._fitted(), transform)
        bad = [t for t in out.index[:-1] if out.loc[t, "p_value"] < significance]
        if bad:
            warnings.warn(
                f"proportional hazards looks violated (cox.zph, transform={transform!r}, "
                f"p < {significance}) for: {', '.join(bad)}. Consider stratifying on it "
                "(CoxModel(..., strata=...)) or a time interaction; see the notebook 02-cox.",
                AssumptionWarning,
                stacklevel=2,
            )
        if plot:
            self.plot_schoenfeld(transform=transform)
        return out

    def schoenfeld_residuals(self, *, scaled: bool = True, transform: str = "km") -> pd.DataFrame:
        """Scaled (or raw) Schoenfeld residuals, one row per churn event.

        Scaled residuals are ``beta + d * V r`` (d events, V the model-based covariance, r the
        raw residual), as R ``cox.zph`` returns them: their smooth against ``g(t)`` estimates
        ``beta(t)``.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer id; the term columns plus ``time`` and ``g`` (transformed time).

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> r = CoxModel("SeniorCitizen").fit(data).schoenfeld_residuals()
        >>> r.shape
        (1869, 3)
        """
        return diagnostics.schoenfeld_residuals(self._fitted(), scaled=scaled, transform=transform)

    def plot_schoenfeld(
        self,
        term: str | Sequence[str] | None = None,
        *,
        transform: str = "km",
        axes: list[Axes] | None = None,
        max_points: int | None = 5_000,
    ) -> list[Axes]:
        """Scaled Schoenfeld residuals against tenure, as R's ``plot(cox.zph(fit))``.

        A spline smooth with a ±2 SE band (R's natural spline, df = 4), the fitted log-HR as a
        flat line, the x axis on the test's time scale labelled in tenure. A smooth whose band
        leaves the flat line supports a violation: the effect changes with tenure.

        Parameters
        ----------
        term : str or sequence of str, optional
            One design column, or several (one panel each; default: all). Several terms in one
            call share the residuals, the spline's basis and the tenure axis: the same panels
            as one call per term, about 0.5 s less per panel at 1,600,000 churns.
        transform : {"km", "rank", "identity", "log"}, default "km"
        axes : sequence of matplotlib Axes, optional
            One per term drawn.
        max_points : int or None, default 5,000
            Residuals drawn per panel at most: beyond, a seeded random sample of them, and the
            panel says "5,000 of N points" (the spline and its band use all of them); None
            draws all (see :func:`churnsurv.plotting.cox.plot_schoenfeld`).

        Returns
        -------
        list of matplotlib.axes.Axes

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> axes = CoxModel("SeniorCitizen").fit(data).plot_schoenfeld()
        >>> len(axes)
        1
        >>> model = CoxModel("SeniorCitizen + MonthlyCharges").fit(data)
        >>> [ax.get_title() for ax in model.plot_schoenfeld(["MonthlyCharges", "SeniorCitizen"])]
        ['MonthlyCharges', 'SeniorCitizen']
        """
        from churnsurv.plotting.cox import plot_schoenfeld

        fit = self._fitted()
        res = diagnostics.schoenfeld_residuals(fit, transform=transform)
        if term is None:
            terms = list(fit.design.columns)
        elif isinstance(term, str):
            terms = [term]
        else:
            terms = list(term)
        panels = diagnostics.schoenfeld_panels(fit, res, terms)
        unit = f"tenure ({fit.time_unit}s)"
        xlabel = unit if transform == "identity" else f"{unit}, on the {transform!r} time scale"
        return plot_schoenfeld(panels, xlabel=xlabel, axes=axes, max_points=max_points)

    # -------------------------------------------------------------------------------- plots
    def plot(self, *, ax: Axes | None = None) -> Axes:
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
