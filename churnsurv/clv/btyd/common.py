"""Shared machinery for the Fader-Hardie probability models (sBG, BG/NBD, Gamma-Gamma).

Private module: maximum likelihood on log-parameters, standard errors from a numerical
Hessian, the tidy ``summary`` table and its HTML rendering, RFM input validation.
Discounting is :mod:`churnsurv.clv.discount`; nothing here is part of the public API.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize

from churnsurv._typing import ArrayLike
from churnsurv._validation import as_float_array, z_quantile
from churnsurv.exceptions import ConvergenceError, DataValidationError

__all__ = ["BTYDModel", "check_frequency", "rfm_arrays"]


def numerical_hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Hessian of a scalar function by central finite differences.

    The step for coordinate ``i`` is ``1e-4 * max(1, |x_i|)``, suitable for smooth
    log-likelihoods evaluated on log-parameters.
    """
    x = np.asarray(x, dtype=float)
    k = x.size
    h = 1e-4 * np.maximum(1.0, np.abs(x))
    hess = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hess[i, i] = (f(x + ei) - 2.0 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            hess[i, j] = hess[j, i] = (
                f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            ) / (4.0 * h[i] * h[j])
    return hess


#: The convergence test of every BTYD fit: the largest slope of the *mean* log-likelihood (per
#: customer, or per unit of case weight) along a log-parameter. It does not grow with the number
#: of customers, as a gradient of the summed log-likelihood does (1e-2 on a sum over 1,000,000
#: customers is 1e-8 per customer: below what rounding allows).
GRADIENT_TOLERANCE = 1e-5

#: A log-parameter beyond this (a parameter below 1e-11 or above 7e10) has run off to 0 or
#: infinity: the maximum, if any, is on the boundary of the parameter space.
LOG_PARAMETER_BOUND = 25.0


class NotConverged(ConvergenceError):
    """The optimiser stopped without meeting the convergence test (private).

    Carries where it stopped, so a model can say why (e.g. a maximum on the boundary).

    Attributes
    ----------
    log_params : numpy.ndarray
        The best log-parameters found.
    log_likelihood : float
        The log-likelihood there.
    """

    def __init__(self, message: str, *, log_params: np.ndarray, log_likelihood: float) -> None:
        super().__init__(message)
        self.log_params = log_params
        self.log_likelihood = log_likelihood


def central_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-5):
    """Gradient of a scalar function by central differences (error O(step**2)).

    Examples
    --------
    >>> central_gradient(lambda v: float(v @ v), np.array([1.0, -2.0])).round(8).tolist()
    [2.0, -4.0]
    """
    x = np.asarray(x, dtype=float)
    grad = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = step
        grad[i] = (f(x + e) - f(x - e)) / (2.0 * step)
    return grad


def fit_log_params(
    negloglik: Callable[[np.ndarray], float], x0: np.ndarray, *, model: str, n_obs: float
) -> tuple[np.ndarray, float, np.ndarray]:
    """Minimise ``negloglik`` over log-parameters.

    ``negloglik`` is a sum over ``n_obs`` customers (or units of case weight); the optimiser
    works on the mean, ``negloglik / n_obs``, so its tolerances and the convergence test
    (:data:`GRADIENT_TOLERANCE`) mean the same for 100 customers as for 10,000,000.

    Returns the log-parameter estimates, the maximised log-likelihood and the covariance
    matrix of the log-parameters (inverse of the numerical Hessian; NaN if it is singular or
    not positive definite).

    Raises
    ------
    ConvergenceError
        The log-likelihood is not finite anywhere the optimiser looked, or the optimiser stopped
        with a gradient above the tolerance or a log-parameter beyond
        :data:`LOG_PARAMETER_BOUND` (then a :class:`NotConverged`, which says where).

    Examples
    --------
    The mean of a normal sample (log-parameter: the log of the mean), for any sample size:

    >>> def negloglik(x):
    ...     return 0.5 * float(np.sum((y - np.exp(x[0])) ** 2))
    >>> y = np.full(1_000_000, 3.0)
    >>> est, loglik, cov = fit_log_params(negloglik, np.zeros(1), model="normal", n_obs=y.size)
    >>> round(float(np.exp(est[0])), 6)
    3.0
    """
    scale = float(n_obs)
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"n_obs must be a positive number, got {n_obs!r}.")

    def mean(x: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = negloglik(x) / scale
        return float(value) if np.isfinite(value) else 1e300

    # Nelder-Mead first (robust to poor starting values and flat directions), then BFGS to
    # polish; the better of the two is kept.
    coarse = optimize.minimize(
        mean, x0, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-12}
    )
    res = optimize.minimize(mean, coarse.x, method="BFGS", jac="3-point", options={"gtol": 1e-9})
    if coarse.fun < res.fun:
        res = coarse
    if res.fun >= 1e300:
        raise ConvergenceError(
            f"{model}: the log-likelihood is not finite anywhere the optimiser looked; "
            "check the data."
        )
    grad = central_gradient(mean, res.x)
    if np.max(np.abs(grad)) > GRADIENT_TOLERANCE or np.max(np.abs(res.x)) > LOG_PARAMETER_BOUND:
        raise NotConverged(
            f"{model}: the optimiser did not converge (log-parameters "
            f"{np.round(res.x, 3).tolist()}, gradient of the mean log-likelihood per customer "
            f"{np.round(grad, 7).tolist()}). A parameter drifting towards 0 or infinity usually "
            "means the data cannot identify the model (e.g. too few repeat purchases or a "
            "cohort with almost no churn).",
            log_params=res.x,
            log_likelihood=-scale * float(res.fun),
        )
    hess = numerical_hessian(mean, res.x)
    try:
        cov = np.linalg.inv(hess) / scale
    except np.linalg.LinAlgError:
        cov = np.full_like(hess, np.nan)
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        cov = np.full_like(hess, np.nan)
    with np.errstate(all="ignore"):
        loglik = -float(negloglik(res.x))
    return res.x, loglik, cov


def summary_table(
    names: list[str], log_params: np.ndarray, cov_log: np.ndarray, conf_level: float
) -> pd.DataFrame:
    """Tidy parameter table: estimate, standard error and a confidence interval at ``conf_level``.

    The standard error is the delta-method SE, ``estimate * SE(log estimate)``; the interval is
    the Wald interval on the log scale, exponentiated, so it always lies in ``(0, inf)``.
    """
    est = np.exp(log_params)
    se_log = np.sqrt(np.diag(cov_log))
    z = z_quantile(conf_level)
    out = pd.DataFrame(
        {
            "parameter": names,
            "estimate": est,
            "std_err": est * se_log,
            "ci_lower": np.exp(log_params - z * se_log),
            "ci_upper": np.exp(log_params + z * se_log),
        }
    )
    out.attrs["conf_level"] = conf_level
    return out


def text_report(title: str, facts: dict[str, object], summary: pd.DataFrame | None) -> str:
    """The text twin of :func:`html_report` (what ``str(model)`` prints)."""
    if summary is None:
        return f"{title}: not fitted yet (call fit)."
    lines = [title] + [f"  {k}: {v}" for k, v in facts.items()]
    lines.append(summary.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return "\n".join(lines)


def html_report(title: str, facts: dict[str, object], summary: pd.DataFrame | None) -> str:
    """A small HTML card for ``_repr_html_``: a title, key facts and the summary table."""
    items = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td>{html.escape(str(v))}</td></tr>"
        for k, v in facts.items()
    )
    body = f"<h4>{html.escape(title)}</h4><table>{items}</table>"
    if summary is not None:
        body += summary.to_html(index=False, float_format=lambda v: f"{v:.4g}")
    else:
        body += "<p><em>Not fitted yet: call <code>fit</code>.</em></p>"
    return f"<div>{body}</div>"


def fail_rows(column: str, rule: str, message: str, mask: np.ndarray, ids: list | None) -> None:
    """Raise a DataValidationError for the rows flagged in ``mask`` (if any)."""
    if not mask.any():
        return
    where = np.flatnonzero(mask)
    examples = [ids[i] for i in where[:5]] if ids is not None else where[:5].tolist()
    raise DataValidationError(
        f"{column}: {message} ({where.size} customer(s), e.g. {examples}).",
        column=column,
        rule=rule,
        n_rows=int(where.size),
        examples=examples,
    )


def check_frequency(x: np.ndarray, ids: list | None) -> None:
    """Repeat-purchase counts: whole numbers >= 0 (the rule of every BTYD model)."""
    fail_rows("frequency", "negative frequency", "must be >= 0", x < 0, ids)
    fail_rows(
        "frequency",
        "non-integer frequency",
        "must be a whole number of repeat purchases",
        np.abs(x - np.round(x)) > 1e-8,
        ids,
    )


class BTYDModel:
    """What the BTYD models share: the text and HTML reports and the constructor repr.

    A subclass names itself in ``_title`` and lists its facts in ``_facts`` (called only when
    fitted); ``_fitted_attribute`` is the attribute ``fit`` sets.
    """

    _title = "model"
    _fitted_attribute = "params_"
    conf_level: float

    def _facts(self) -> dict[str, object]:
        return {}

    def _report(self, render: Callable) -> str:
        if not hasattr(self, self._fitted_attribute):
            return render(self._title, {}, None)
        return render(self._title, self._facts(), getattr(self, "_summary", None))

    def _repr_html_(self) -> str:
        return self._report(html_report)

    def __str__(self) -> str:
        return self._report(text_report)

    def __repr__(self) -> str:
        name = type(self).__name__
        if not hasattr(self, self._fitted_attribute):
            return f"{name}(conf_level={self.conf_level!r})"
        params = getattr(self, "params_", None)
        shown = ", ".join(f"{k}={v:.4g}" for k, v in params.items()) if params is not None else ""
        return f"<{name}: {shown}>"


def rfm_arrays(
    rfm: pd.DataFrame | None,
    frequency: ArrayLike | None = None,
    recency: ArrayLike | None = None,
    T: ArrayLike | None = None,  # noqa: N803
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list | None]:
    """Frequency, recency, T (and customer ids) from a DataFrame or from arrays, validated."""
    ids = None
    if rfm is not None:
        if not isinstance(rfm, pd.DataFrame):
            raise DataValidationError(
                "rfm must be a DataFrame with columns frequency, recency and T.",
                column="rfm",
                rule="not a DataFrame",
            )
        missing = [c for c in ("frequency", "recency", "T") if c not in rfm.columns]
        if missing:
            raise DataValidationError(
                f"rfm is missing column(s) {missing}; use churnsurv.rfm_summary to build it.",
                column=missing[0],
                rule="missing column",
            )
        frequency, recency, T = rfm["frequency"], rfm["recency"], rfm["T"]
        ids = list(rfm.index)
    elif frequency is None or recency is None or T is None:
        raise DataValidationError(
            "pass an rfm DataFrame or all of frequency=, recency= and T=.",
            column="rfm",
            rule="missing argument",
        )
    x = as_float_array(frequency, "frequency")
    tx = as_float_array(recency, "recency")
    big_t = as_float_array(T, "T")
    if ids is None and len({x.size, tx.size, big_t.size} - {1}) <= 1:
        # Arrays given directly: a scalar (length-1) argument broadcasts against the others.
        x, tx, big_t = (np.array(v) for v in np.broadcast_arrays(x, tx, big_t))
    if not x.size == tx.size == big_t.size:
        raise DataValidationError(
            f"frequency, recency and T differ in length ({x.size}, {tx.size}, {big_t.size}).",
            column="recency",
            rule="length mismatch",
        )
    check_frequency(x, ids)
    fail_rows("recency", "negative recency", "must be >= 0", tx < 0, ids)
    fail_rows("T", "negative T", "must be >= 0", big_t < 0, ids)
    fail_rows(
        "recency",
        "recency > T",
        "the last purchase cannot come after the end of calibration (recency > T)",
        tx > big_t * (1 + 1e-9) + 1e-12,
        ids,
    )
    fail_rows(
        "recency",
        "repeat buyer with recency 0",
        "frequency > 0 but recency == 0; same-day purchases are one transaction, so a repeat "
        "buyer's last purchase must come after the first",
        (x > 0) & (tx == 0),
        ids,
    )
    fail_rows(
        "recency",
        "recency without repeat purchase",
        "frequency == 0 but recency > 0; without a repeat purchase recency must be 0",
        (x == 0) & (tx > 0),
        ids,
    )
    return np.round(x), tx, big_t, ids
