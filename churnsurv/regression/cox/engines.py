"""Which engine fits a Cox model, and the engines themselves (private).

The front end (:class:`~churnsurv.CoxModel`) builds the model frame; :func:`fit` picks the engine
for the case at hand and returns the coefficients, their covariance and the engine's name. The
engines only do arithmetic; a fit that runs away raises :class:`Diverged` with the coefficients
reached, which the front end turns into a message naming the term. The table of which engine
fits what:

Which engine computes the estimates:

==========================================  =====================================================
case                                        engine
==========================================  =====================================================
``ties="efron"`` (default)                  churnsurv's own Newton-Raphson (``likelihood``)
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
entry, stratum, covariate pattern) are merged into one weighted row. For Breslow ties that is
exact as it stands. For Efron ties it is not, on its own: R's Efron correction at a time with
``m`` tied deaths takes ``m`` steps of ``1/m`` -- ``m`` counted in *rows*, whatever their
weights -- so a merged row of weight 5 would be one step instead of five (on Telco,
``~ Contract`` moved by 0.12 standard errors). The merged rows therefore keep the number of
customers each stands for and the Efron steps count those (``RiskSets(counts=...)``), which makes
the collapsed fit equal the fit on every row (tested against R on Telco and a tied toy).
``collapse="auto"`` does it whenever it shrinks the data at least four-fold and no robust SE,
case weight, penalizer or panel is involved.

With case weights and ``ties="efron"`` lifelines counts tied *rows* rather than tied weight; its
estimates then differ slightly from R's (a few per cent of a standard error). Use
``ties="breslow"`` for frequency weights if you need R's numbers exactly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnsurv.exceptions import AssumptionWarning
from churnsurv.regression.cox import likelihood as core
from churnsurv.regression.cox.fitted import CoxTraining

__all__ = ["Diverged", "EngineResult", "FitSpec", "fit"]


class Diverged(Exception):
    """An engine stopped without a usable estimate; ``beta`` is where it got (or None)."""

    def __init__(self, beta: np.ndarray | None) -> None:
        super().__init__("the Cox fit diverged")
        self.beta = beta


@dataclass
class FitSpec:
    """What the engine needs to know besides the data."""

    ties: str
    penalizer: float
    conf_level: float
    collapse: object  # "auto", True or False
    robust: bool
    weighted: bool
    panel: bool
    binary_design: bool  # every design column 0/1: categorical covariates, few patterns
    sd: np.ndarray  # sample SD of each design column (the penalty's scale)


@dataclass
class EngineResult:
    """Coefficients, covariance and the engine that computed them."""

    beta: np.ndarray
    cov: np.ndarray
    engine: str
    fitter: object = None  # the lifelines fitter, when lifelines fitted
    approx_cov: bool = False  # robust SEs with model-based correlations (lifelines)


def _newton(risk: core.RiskSets, penalty) -> tuple[np.ndarray, np.ndarray]:
    beta, _, hess, ok = core.fit_newton(risk, penalty=penalty)
    if not ok:
        raise Diverged(beta)
    return beta, np.linalg.inv(-hess)


def _collapsed(spec: FitSpec, xv: np.ndarray, train: CoxTraining) -> EngineResult | None:
    """Merge identical (pattern, time, event, stratum, entry) rows into weights, if worth it."""
    keys = pd.DataFrame(xv).assign(
        _t=train.time,
        _e=train.event,
        _s=train.strata if train.strata is not None else 0,
        _a=train.entry if train.entry is not None else 0.0,
    )
    grouped = keys.groupby(list(keys.columns), sort=False, observed=True)
    if spec.collapse is not True and grouped.ngroups * 4 > len(keys):
        return None
    first = grouped.head(1).index.to_numpy()
    cw = grouped.size().to_numpy().astype(float)
    codes = grouped.ngroup().to_numpy()
    first = first[np.argsort(codes[first])]
    risk = core.RiskSets(
        train.X[first],
        train.time[first],
        train.event[first],
        cw,
        entry=None if train.entry is None else train.entry[first],
        strata=None if train.strata is None else train.strata[first],
        ties=train.ties,
        counts=cw,  # Efron counts tied deaths in original rows (R), not in merged rows
    )
    beta, cov = _newton(risk, None)
    return EngineResult(beta, cov, f"churnsurv Newton-Raphson on {len(cw)} collapsed rows")


def _phreg(train: CoxTraining) -> EngineResult:
    from statsmodels.duration.hazard_regression import PHReg

    model = PHReg(
        train.time, train.X, status=train.event.astype(float), strata=train.strata, ties="breslow"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit()
    beta = np.asarray(res.params)
    failed = any("converge" in str(c.message).lower() for c in caught)
    if failed or not (np.isfinite(beta).all() and np.isfinite(res.bse).all()):
        # PHReg's unguarded Newton steps can overflow (e.g. on the Iranian data); our own
        # engine, with step halving, maximises the same likelihood
        beta, cov = _newton(train.risk_sets(), None)
        return EngineResult(
            beta, cov, "churnsurv Newton-Raphson (statsmodels PHReg did not converge)"
        )
    return EngineResult(beta, np.asarray(res.cov_params()), "statsmodels PHReg")


def _lifelines(spec: FitSpec, xv, train: CoxTraining, groups, cluster) -> EngineResult:
    from lifelines import CoxPHFitter, CoxTimeVaryingFitter
    from lifelines import exceptions as ll_exc

    df = pd.DataFrame(xv, columns=[f"x{j}" for j in range(xv.shape[1])])
    df["__t"], df["__e"] = train.time, train.event
    # lifelines stops when the log-likelihood changes by < 1e-9 (relative), which can leave
    # 1e-5 in a coefficient; iterate to the Newton step instead (one or two more steps).
    kw: dict = {"fit_options": {"precision": 1e-10, "r_precision": 1e-14}}
    if spec.weighted:
        df["__w"] = train.w
        kw["weights_col"] = "__w"
    if train.strata is not None:
        df["__s"] = train.strata
        kw["strata"] = ["__s"]
    alpha = 1 - spec.conf_level
    if spec.panel:
        df["__start"], df["__id"] = train.entry, groups if groups is not None else 0
        fitter = CoxTimeVaryingFitter(penalizer=spec.penalizer, alpha=alpha)
        if groups is None:
            df = df.drop(columns="__id")
        id_col = "__id" if groups is not None else None

        def call():
            fitter.fit(
                df,
                event_col="__e",
                start_col="__start",
                stop_col="__t",
                robust=spec.robust,
                id_col=id_col,
                **kw,
            )

        engine = "lifelines CoxTimeVaryingFitter"
    else:
        if train.entry is not None:
            df["__entry"] = train.entry
            kw["entry_col"] = "__entry"
        if cluster is not None:
            df["__c"] = groups
            kw["cluster_col"] = "__c"
        fitter = CoxPHFitter(penalizer=spec.penalizer, alpha=alpha)

        def call():
            fitter.fit(df, "__t", "__e", robust=spec.robust, **kw)

        engine = "lifelines CoxPHFitter"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except ll_exc.ConvergenceError:
            beta = getattr(fitter, "params_", None)
            raise Diverged(None if beta is None else np.asarray(beta)) from None
    for c in caught:
        if issubclass(c.category, ll_exc.ConvergenceWarning):
            raise Diverged(np.asarray(fitter.params_))
        if issubclass(c.category, ll_exc.StatisticalWarning):
            warnings.warn(
                "case weights are not integers: the model-based standard errors are then "
                "not valid; refit with robust=True.",
                AssumptionWarning,
                stacklevel=5,
            )
    cov = fitter.variance_matrix_.to_numpy()  # lifelines keeps the model-based one here
    approx = False
    if spec.robust:
        # lifelines stores only the robust SEs, not the robust covariance: keep its exact SEs
        # with the model-based correlations; the Wald test is then not reported.
        se = fitter.standard_errors_.to_numpy()
        d = np.sqrt(np.diag(cov))
        cov = cov * np.outer(se / d, se / d)
        approx = True
    return EngineResult(fitter.params_.to_numpy(), cov, engine, fitter=fitter, approx_cov=approx)


def fit(spec: FitSpec, xv: np.ndarray, train: CoxTraining, groups, cluster) -> EngineResult:
    """Fit with the engine for this case (see the table in the model's module docstring).

    ``xv`` is the uncentred design (for lifelines), ``train`` the centred training data,
    ``groups`` the cluster of each row for robust SEs (None otherwise).
    """
    # lifelines' ridge convention: n * penalizer / 2 * sum of squared standardised coefficients
    lam = len(train.time) * spec.penalizer * spec.sd**2 if spec.penalizer else None
    plain = not spec.robust and not spec.weighted and not spec.penalizer and not spec.panel
    if spec.collapse is True and not plain:
        raise ValueError(
            "collapse=True is exact only without robust SEs, case weights, a penalizer or "
            "panel data; use collapse='auto'."
        )
    if plain and (spec.collapse is True or (spec.collapse == "auto" and spec.binary_design)):
        result = _collapsed(spec, xv, train)
        if result is not None:
            return result
    if spec.ties == "breslow" and plain and train.entry is None:
        return _phreg(train)
    if spec.ties == "breslow" or not (spec.robust or spec.weighted or spec.panel):
        # Breslow: statsmodels PHReg counts a row whose entry equals an event time as at risk
        # then (R: start < t <= stop), which is wrong for panels and monthly entry times, and
        # its robust covariance fails with entry times. Efron: the same numbers as lifelines
        # (tested to 1e-8) in a third of its time and memory.
        beta, cov = _newton(train.risk_sets(), lam)
        if spec.robust:
            cov = core.robust_covariance(
                train.X,
                train.time,
                train.event,
                train.w,
                beta,
                -np.linalg.inv(cov),
                groups,
                entry=train.entry,
                strata=train.strata,
            )
        return EngineResult(beta, cov, "churnsurv Newton-Raphson")
    return _lifelines(spec, xv, train, groups, cluster)
