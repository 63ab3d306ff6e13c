"""Maximum likelihood for the parametric churn models (private to :mod:`.parametric`).

* AFT models (Weibull, log-logistic, log-normal) as log-location-scale models,
  ``log T = x'b + sigma W``, in lifelines' parametrisation (``lambda_`` / ``alpha_`` / ``mu_`` =
  ``x'b``; ``rho_`` = ``beta_`` = ``1 / sigma``, ``sigma_`` = ``sigma``, on the log scale), with
  entry times (left truncation: ``- log S(entry)``). The log-likelihood is that of ``T``
  (it includes ``- log t`` for each churn, as R ``survreg``'s ``loglik`` and lifelines').
  Analytic gradient and Hessian; Newton-Raphson with step halving (:func:`newton`).
* The piecewise-exponential model: per piece ``(a, b]`` the events and the exposure of each
  row, and its MLE -- events / exposure without covariates, a Poisson GLM with a log-exposure
  offset with covariates (statsmodels).

Every fit is checked (:func:`check`): the gradient must vanish and the standard errors be
finite and not huge; what fails is reported as a list of problems, which the models turn into
a :class:`~churnsurv.exceptions.ConvergenceError` naming them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

__all__ = [
    "AFT_FAMILIES",
    "Fit",
    "aft_objective",
    "check",
    "fit_aft",
    "newton",
    "piecewise_table",
    "poisson_piece",
]

# distribution of W -> kappa, with log(sigma) = kappa * c (c: log of lifelines' ancillary param)
AFT_FAMILIES = {"weibull": -1.0, "loglogistic": -1.0, "lognormal": 1.0}

# a standard error above this (on the scale of a standardised covariate) means the
# likelihood is flat in that direction: the estimate is not identified
HUGE_SE = 20.0


@dataclass
class Fit:
    """A maximised (penalised) log-likelihood: estimate, value, Hessian and what went wrong."""

    theta: np.ndarray
    loglik: float  # unpenalised
    hess: np.ndarray  # of the penalised objective
    converged: bool
    problems: list[str] = field(default_factory=list)

    @property
    def cov(self) -> np.ndarray:
        return np.linalg.inv(-self.hess)


def _log_w(family: str, z: np.ndarray):
    """``log f_W(z)``, ``log S_W(z)`` and their first and second derivatives in ``z``."""
    if family == "weibull":  # W extreme value (minimum): S = exp(-e^z)
        ez = np.exp(z)
        return (z - ez, 1 - ez, -ez), (-ez, -ez, -ez)
    if family == "loglogistic":  # W logistic
        p = special.expit(z)
        lse = np.logaddexp(0.0, z)
        return (z - 2 * lse, 1 - 2 * p, -2 * p * (1 - p)), (-lse, -p, -p * (1 - p))
    logsf = stats.norm.logsf(z)  # W standard normal
    lam = np.exp(stats.norm.logpdf(z) - logsf)  # inverse Mills ratio
    return (-0.5 * z * z - 0.5 * np.log(2 * np.pi), -z, -np.ones_like(z)), (
        logsf,
        -lam,
        -lam * (lam - z),
    )


def _terms(F, z, sigma):
    """Value and derivatives in ``(mu, s = log sigma)`` of ``F(z)``, ``z = (log t - mu) / e^s``."""
    f, f1, f2 = F
    return (
        f,
        -f1 / sigma,  # d/dmu
        -z * f1,  # d/ds
        f2 / sigma**2,  # d2/dmu2
        (f1 + z * f2) / sigma,  # d2/dmu ds
        z * f1 + z * z * f2,  # d2/ds2
    )


def aft_objective(family, X, t, event, entry, penalty):
    """``theta -> (penalised loglik, gradient, Hessian, loglik)`` of an AFT model.

    ``theta`` is ``(b, c)``: ``b`` the coefficients of ``X`` (location), ``c`` the log of
    lifelines' ancillary parameter. ``penalty`` is a vector: ``- 0.5 * sum(penalty * b**2)`` is
    added (zero for the intercept and ``c``).
    """
    kappa = AFT_FAMILIES[family]
    logt = np.log(t)
    trunc = None if entry is None else np.flatnonzero(entry > 0)
    p = X.shape[1]
    lam = np.r_[penalty, 0.0]

    def evaluate(theta):
        # a trial step far from the maximum can overflow: its objective is then not finite
        # and the step is halved, so the floating-point warnings are not for the user
        with np.errstate(all="ignore"):
            return _evaluate(theta)

    def _evaluate(theta):
        b, c = theta[:p], theta[p]
        s = kappa * c
        sigma = np.exp(s)
        mu = X @ b
        z = (logt - mu) / sigma
        logf, logs = _log_w(family, z)
        ev = _terms(logf, z, sigma)
        cs = _terms(logs, z, sigma)
        parts = [np.where(event, e_, c_) for e_, c_ in zip(ev, cs, strict=True)]
        parts[0] = parts[0] - event * (s + logt)  # density of T: - log sigma - log t
        parts[2] = parts[2] - event
        if trunc is not None and trunc.size:  # - log S(entry)
            ze = (np.log(entry[trunc]) - mu[trunc]) / sigma
            tr = _terms(_log_w(family, ze)[1], ze, sigma)
            for k in range(6):
                parts[k] = parts[k].copy()
                parts[k][trunc] -= tr[k]
        value, d_mu, d_s, d_mumu, d_mus, d_ss = parts
        ll = float(value.sum())
        grad = np.r_[X.T @ d_mu, kappa * d_s.sum()]
        hess = np.empty((p + 1, p + 1))
        hess[:p, :p] = (X * d_mumu[:, None]).T @ X
        hess[:p, p] = hess[p, :p] = kappa * (X.T @ d_mus)
        hess[p, p] = d_ss.sum()
        pen = 0.5 * float(lam @ theta**2)
        return ll - pen, grad - lam * theta, hess - np.diag(lam), ll

    return evaluate


def newton(evaluate, theta0, *, max_iter=100, tol=1e-13) -> Fit:
    """Maximise by Newton-Raphson with step halving (and a gradient step when the Hessian is
    not negative definite). Converged when the Newton decrement ``g' (-H)^-1 g`` (twice the
    distance to the maximum of the local quadratic) is below ``tol * (1 + |loglik|)``, or
    below ``1e-9 * (1 + |loglik|)`` once no step improves the objective (rounding)."""
    theta = np.asarray(theta0, float).copy()
    obj, g, h, ll = evaluate(theta)
    if not np.isfinite(obj):
        return Fit(theta, ll, h, False, ["the starting values have no finite likelihood"])
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(-h, g)
            newton_ok = bool(np.isfinite(step).all() and g @ step >= 0)
        except np.linalg.LinAlgError:
            newton_ok = False
        if not newton_ok:  # not concave here: a scaled gradient step
            step = g / max(1.0, float(np.abs(np.diag(h)).max()))
        decrement = float(g @ step)
        if newton_ok and decrement < tol * (1 + abs(obj)):
            return Fit(theta, ll, h, True)
        for _ in range(60):  # step halving
            new = evaluate(theta + step)
            if np.isfinite(new[0]) and new[0] >= obj:
                break
            step = step / 2
        else:
            if newton_ok and decrement < 1e-9 * (1 + abs(obj)):
                return Fit(theta, ll, h, True)  # at the maximum up to rounding
            break
        theta = theta + step
        obj, g, h, ll = new
    return Fit(theta, ll, h, False, ["Newton-Raphson did not reach a point with zero gradient"])


def check(fit: Fit, names, scale) -> Fit:
    """Add to ``fit.problems`` what makes it unusable: a gradient that is not zero (reported by
    the optimiser), a Hessian that is not negative definite, non-finite or huge standard
    errors (``se * scale > HUGE_SE``, ``scale`` the SD of each design column, 1 for an
    intercept)."""
    problems = list(fit.problems)
    try:
        cov = fit.cov
        se = np.sqrt(np.diag(cov))
        ok_h = bool(np.all(np.linalg.eigvalsh(-fit.hess) > 0))
    except np.linalg.LinAlgError:
        se, ok_h = np.full(len(names), np.nan), False
    if not ok_h:
        problems.append("the Hessian is not negative definite (no strict maximum)")
    bad = [n for n, s in zip(names, se, strict=True) if not np.isfinite(s)]
    if bad:
        problems.append(f"standard errors not finite for {bad}")
    with np.errstate(invalid="ignore"):
        huge = [
            f"{n} (se {s:.3g})"
            for n, s, k in zip(names, se, scale, strict=True)
            if np.isfinite(s) and s * k > HUGE_SE
        ]
    if huge:
        problems.append(f"huge standard errors (flat likelihood): {', '.join(huge)}")
    if not np.isfinite(fit.theta).all() or not np.isfinite(fit.loglik):
        problems.append("the estimate or the log-likelihood is not finite")
    fit.problems = problems
    return fit


# ---------------------------------------------------------------------- piecewise exponential
def piecewise_table(t, event, entry, breakpoints):
    """Per row and piece ``(a_j, b_j]``: exposure (time at risk in it) and the event indicator.

    Pieces are ``(0, b_1], (b_1, b_2], ..., (b_last, inf)``; a churn at exactly ``b_j`` belongs
    to the piece ending there. Returns ``(exposure, events)``, each ``(n, pieces)``.
    """
    edges = np.r_[0.0, np.asarray(breakpoints, float), np.inf]
    start = np.zeros_like(t) if entry is None else entry
    lo, hi = edges[:-1], edges[1:]
    exposure = np.clip(np.minimum(t[:, None], hi) - np.maximum(start[:, None], lo), 0.0, None)
    piece = np.searchsorted(edges, t, side="left") - 1  # (a, b]: t == b falls in that piece
    events = np.zeros_like(exposure)
    rows = np.flatnonzero(event)
    events[rows, piece[rows]] = 1.0
    return exposure, events


def poisson_piece(X, exposure, events, penalty):
    """MLE of ``log hazard = X @ g`` in one piece (Poisson GLM, offset ``log exposure``).

    Returns ``(g, cov, loglik, problems)``; ``loglik = sum(d * X g - exposure * exp(X g))`` is
    the piece's share of the survival log-likelihood. Without covariates (one column of ones)
    the MLE is events / exposure in closed form; with a ridge ``penalty`` (zero for the
    intercept, the last column) the penalised Poisson likelihood is maximised by
    :func:`newton`.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    d, e = events.sum(), exposure.sum()
    problems = []
    if X.shape[1] == 1 and not penalty.any():
        g = np.array([np.log(d / e)]) if d > 0 else np.array([-np.inf])
        cov = np.array([[1.0 / d if d > 0 else np.inf]])
    else:
        if penalty.any():  # ridge: Newton-Raphson on the penalised Poisson log-likelihood

            def evaluate(g):
                with np.errstate(all="ignore"):
                    eta = X @ g
                    mu = exposure * np.exp(eta)
                    ll = float(events @ eta - mu.sum())
                    pen = 0.5 * float(penalty @ g**2)
                    grad = X.T @ (events - mu) - penalty * g
                    hess = -(X * mu[:, None]).T @ X - np.diag(penalty)
                return ll - pen, grad, hess, ll

            g0 = np.zeros(X.shape[1])
            g0[-1] = np.log(d / e)  # the last column is the intercept
            fit = newton(evaluate, g0)
            g, cov, problems = fit.theta, fit.cov, list(fit.problems)
        else:
            model = sm.GLM(events, X, family=sm.families.Poisson(), offset=np.log(exposure))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = model.fit(tol=1e-12)
            g, cov = np.asarray(res.params), np.asarray(res.cov_params())
            for c in caught:
                if issubclass(c.category, ConvergenceWarning | PerfectSeparationWarning):
                    problems.append(f"the Poisson fit did not converge ({c.message})")
    with np.errstate(over="ignore", invalid="ignore"):
        eta = X @ g
        loglik = float(events @ eta - exposure @ np.exp(eta)) if d > 0 else 0.0
    return g, cov, loglik, problems


def _start(family, X, t, event, entry):
    """Starting values: the exponential fit (``sigma = 1``) with the intercept only."""
    at_risk = t - (0.0 if entry is None else entry)
    mu0 = np.log(at_risk.sum() / max(event.sum(), 1))
    if family == "lognormal":  # the median of an exponential is log(2) times its mean
        mu0 += np.log(np.log(2.0))
    theta = np.zeros(X.shape[1] + 1)
    theta[0] = mu0  # column 0 is the intercept
    return theta


def fit_aft(family, X, t, event, entry, penalty, names, scale, fallback=None) -> Fit:
    """Maximise an AFT likelihood; ``X[:, 0]`` is the intercept.

    Newton-Raphson from the exponential fit; if that fails the checks (:func:`check`), from
    ``fallback()`` (lifelines' estimate, or None), then a trust-region method (scipy
    ``trust-exact``) from the exponential fit followed by Newton. Returns the best fit that
    passes the checks, else the last one with its problems.
    """
    from scipy.optimize import minimize

    evaluate = aft_objective(family, X, t, event, entry, penalty)
    theta0 = _start(family, X, t, event, entry)
    # intercept and shape first, then all coefficients: a safe path to the maximum
    p = X.shape[1]
    sub = aft_objective(family, X[:, :1], t, event, entry, penalty[:1])
    first = newton(sub, theta0[[0, p]])
    if first.converged:
        theta0[[0, p]] = first.theta
    fits = [check(newton(evaluate, theta0), names, scale)]
    if fits[-1].problems and fallback is not None:
        start = fallback()
        if start is not None and np.isfinite(start).all():
            fits.append(check(newton(evaluate, start), names, scale))
    if fits[-1].problems:

        def neg(theta):
            obj, g, h, _ = evaluate(theta)
            return (-obj, -g) if np.isfinite(obj) else (np.inf, np.zeros_like(g))

        res = minimize(
            neg,
            theta0,
            jac=True,
            hess=lambda th: -evaluate(th)[2],
            method="trust-exact",
            options={"gtol": 1e-8, "maxiter": 500},
        )
        fits.append(check(newton(evaluate, res.x), names, scale))
    good = [f for f in fits if not f.problems]
    return max(good, key=lambda f: f.loglik) if good else fits[-1]
