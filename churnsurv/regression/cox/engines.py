"""Which engine fits a Cox model, and the engines themselves (private).

The front end (:class:`~churnsurv.CoxModel`) builds the model frame; :func:`fit` picks the engine
for the case at hand and returns the coefficients, their covariance and the engine's name. The
engines only do arithmetic; a fit that runs away raises :class:`Diverged` with the coefficients
reached, which the front end turns into a message naming the term.

Which engine computes the estimates (``engine_`` says which one did):

============================================  ===================================================
case                                          engine
============================================  ===================================================
all-categorical design without weights,       churnsurv's own Newton-Raphson on the collapsed
robust SEs, penalizer or panel                rows (exact for Efron and Breslow, see below)
(``collapse="auto"``, at least 4-fold fewer
rows), either ties
everything else, either ties: the default     churnsurv's own Newton-Raphson (``likelihood``)
Efron fit, Breslow fits, case weights,
robust / clustered SEs, penalizer, strata,
entry times, panels (time-varying covariates)
robust / clustered SEs                        the same fit; sandwich from R's score residuals
                                              (Efron or Breslow, ``likelihood.score_residuals``)
============================================  ===================================================

Every engine computes R ``survival::coxph``'s partial likelihood for the chosen ties: R's Efron
counts tied deaths in rows and gives each step the mean death weight (``coxfit6.c``), risk sets
are ``(entry, exit]``, and ``robust=True`` is R's sandwich ``D'D`` of the (weighted, clustered)
dfbeta residuals. The tests check them against R outputs (``tests/reference``: tied Efron,
weighted, robust and clustered fits) to 1e-6 or better, and against statsmodels ``PHReg`` and
lifelines ``CoxPHFitter``. statsmodels ``PHReg`` stays the tests' reference for Breslow fits: it
computes the same estimates, but 5-7 times slower at a million customers, and its unguarded Newton
steps can overflow (the Iranian data).

lifelines no longer fits any Cox model here: its robust SEs with Efron ties build the score
residuals without Efron's weights (3-10% off R's on tied data), its ``CoxTimeVaryingFitter``
has no robust SEs (``NotImplementedError``), and with fractional case
weights its fit can stop short (on R's weighted lung example, weights scaled by 1e-4 moved
``sex`` by a third of its SE) or, as reported in issue #11, take a NaN step. Its weighted Efron
*likelihood* is R's (rows counted, mean weight per step); it is the stopping that fails. The own
engine is also the fast one: a million customers with ten covariates in about a third of
lifelines' CPU time, faster than a bare numpy Newton-Raphson for Breslow ties, at 0.7 GB peak
(``benchmarks/RESULTS.md``), because it sorts the rows once, reads them sequentially at each
Newton step and sums the risk sets once per distinct event time rather than per customer
(:mod:`~churnsurv.regression.cox.risksets`).

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

Warm start: from :data:`WARM_START_MIN` rows (a million) the Newton steps on all rows start
from the fit on a seeded random sample of :data:`WARM_START_ROWS` of them instead of zero; the
same convergence test ends them, at the full data's optimum (on 3,000,000 customers the
coefficients moved by 3e-13 relative, with 5 steps on all rows instead of 8; a test compares
the two starts on Telco with strata, penalty, weights and robust SEs).

Case weights are frequencies in the model-based SEs (R: the inverse weighted information); with
fractional (sampling) weights use ``robust=True``, as R's documentation advises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def _newton(risk: core.RiskSets, penalty, start=None) -> tuple[np.ndarray, np.ndarray]:
    beta, _, hess, ok = core.fit_newton(risk, penalty=penalty, start=start)
    if not ok and start is not None:  # the start did not help: from zero, as always
        beta, _, hess, ok = core.fit_newton(risk, penalty=penalty)
    if not ok:
        raise Diverged(beta)
    return beta, np.linalg.inv(-hess)


#: Rows from which the Newton steps on all rows start from a fit on a seeded random sample of
#: :data:`WARM_START_ROWS` of them (each step on 10,000,000 rows takes about 0.5 s; the
#: sample's fit leaves 3 or 4 of them instead of 8). The same convergence test ends both.
WARM_START_MIN = 1_000_000
WARM_START_ROWS = 200_000


def _warm_start(train: CoxTraining, penalty) -> np.ndarray | None:
    """Coefficients fitted on a seeded random sample of the rows (same strata, entries,
    weights and ties; the ridge penalty scaled to the sample's size), or None if that fit
    fails. Only where the Newton steps are started: the answer is the full data's optimum."""
    n = len(train.time)
    rows = np.sort(np.random.default_rng(0).choice(n, WARM_START_ROWS, replace=False))
    if not train.event[rows].any():  # no churn in the sample: nothing to start from
        return None
    risk = core.RiskSets(
        train._design()[rows],
        train.time[rows],
        train.event[rows],
        train.w[rows],
        entry=None if train.entry is None else train.entry[rows],
        strata=None if train.strata is None else train.strata[rows],
        ties=train.ties,
        center=train.center,
    )
    scaled = None if penalty is None else penalty * (WARM_START_ROWS / n)
    with np.errstate(all="ignore"):
        beta, _, _, ok = core.fit_newton(risk, penalty=scaled)
    return beta if ok and np.all(np.isfinite(beta)) else None


def _pattern_keys(xv: np.ndarray, binary: bool) -> pd.DataFrame:
    """The covariate pattern of each row as grouping keys: a 0/1 design packed into one integer
    per row (the same groups as its columns, found about twice as fast), else the columns."""
    if binary and xv.shape[1] <= 62:
        bits = xv.astype(np.int64) << np.arange(xv.shape[1], dtype=np.int64)
        return pd.DataFrame({"_p": bits.sum(axis=1)})
    return pd.DataFrame(xv)


def _collapsed(spec: FitSpec, xv: np.ndarray, train: CoxTraining) -> EngineResult | None:
    """Merge identical (pattern, time, event, stratum, entry) rows into weights, if worth it."""
    keys = _pattern_keys(xv, spec.binary_design).assign(
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
        xv[first],
        train.time[first],
        train.event[first],
        cw,
        entry=None if train.entry is None else train.entry[first],
        strata=None if train.strata is None else train.strata[first],
        ties=train.ties,
        counts=cw,  # Efron counts tied deaths in original rows (R), not in merged rows
        center=train.center,
    )
    beta, cov = _newton(risk, None)
    return EngineResult(beta, cov, f"churnsurv Newton-Raphson on {len(cw)} collapsed rows")


def fit(spec: FitSpec, xv: np.ndarray, train: CoxTraining, groups) -> EngineResult:
    """Fit with the engine for this case (see the table in this module's docstring).

    ``xv`` is the uncentred design (to find identical rows), ``train`` the centred training
    data, ``groups`` the cluster of each row for robust SEs (None otherwise).
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
    # Everything else: our own Newton-Raphson, R's likelihood for either ties with case weights,
    # strata, entry times / panels ((start, stop] risk sets) and a ridge penalty; the sandwich
    # from R's (Efron or Breslow) score residuals for robust SEs. (statsmodels PHReg, the tests'
    # Breslow reference, counts a row whose entry equals an event time as at risk then, and
    # takes no case weights.)
    start = _warm_start(train, lam) if len(train.time) >= WARM_START_MIN else None
    beta, cov = _newton(train.risk_sets(), lam, start)
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
            ties=train.ties,
        )
    return EngineResult(beta, cov, "churnsurv Newton-Raphson")
