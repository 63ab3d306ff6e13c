"""Shifted-beta-geometric (sBG) model of retention in a contractual setting.

Each customer renews at the end of every period with a constant, individual probability
``1 - theta``; ``theta`` varies across customers as Beta(alpha, beta). The period ``T`` in
which a customer churns (T = 1, 2, ...) then follows the shifted-beta-geometric distribution

.. math::

    P(T = t) = \\frac{B(\\alpha + 1, \\beta + t - 1)}{B(\\alpha, \\beta)}, \\qquad
    S(t) = P(T > t) = \\frac{B(\\alpha, \\beta + t)}{B(\\alpha, \\beta)},

and the cohort retention rate rises over time through sorting alone,
``r_t = (beta + t - 1) / (alpha + beta + t - 1)``.

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention.
   *Journal of Interactive Marketing* 21(1), 76-90. Equations (5)-(8).
.. [2] Fader, P. S. and Hardie, B. G. S. (2010). Customer-base valuation in a contractual
   setting: the perils of ignoring heterogeneity. *Marketing Science* 29(1), 85-93.
   DEL and DERL in closed form with the Gauss hypergeometric function.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from churnsurv._typing import ArrayLike, Axes
from churnsurv._validation import (
    as_float_array,
    check_choice,
    check_conf_level,
    check_is_fitted,
    check_survivor_counts,
    check_unit,
)
from churnsurv.clv.btyd.common import (
    BTYDModel,
    NotConverged,
    fit_log_params,
    summary_table,
)
from churnsurv.clv.discount import per_period_rate
from churnsurv.exceptions import ConvergenceError, DataValidationError

__all__ = ["ShiftedBetaGeometric"]

_TIMINGS = ("start", "end")


def _as_periods(t, *, name: str = "t", minimum: int = 0) -> np.ndarray:
    """Periods as a float array of whole numbers >= ``minimum``."""
    arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(np.abs(arr - np.round(arr)) > 1e-8):
        raise DataValidationError(
            f"{name} must be whole numbers of periods.", column=name, rule="non-integer period"
        )
    if np.any(arr < minimum):
        raise DataValidationError(
            f"{name} must be >= {minimum}.", column=name, rule="period out of range"
        )
    return np.round(arr)


_NO_INTERIOR_MAXIMUM = (
    "sBG: the optimiser did not converge because the likelihood has no maximum inside the "
    "parameter space: "
)


class ConstantChurnError(ConvergenceError):
    """The sBG likelihood is highest at its geometric limit: churn does not slow with tenure.

    As alpha and beta grow together with ``alpha / (alpha + beta) = churn_probability``, the
    sBG becomes the geometric model, in which every customer churns with the same probability
    each period; these data are fitted best there, so there is no finite estimate.

    Attributes
    ----------
    churn_probability : float
        The geometric model's estimate: churns / periods at risk.

    Examples
    --------
    >>> import numpy as np
    >>> durations = np.random.default_rng(7).geometric(0.2, 500)
    >>> try:
    ...     ShiftedBetaGeometric().fit_individual(durations, np.ones(500, dtype=bool))
    ... except ConstantChurnError as exc:
    ...     round(exc.churn_probability, 3)
    0.193
    """

    def __init__(self, message: str, *, churn_probability: float) -> None:
        super().__init__(message)
        self.churn_probability = churn_probability


def _boundary_error(
    t, is_churn, weights, best_log_params, best_loglik: float
) -> ConvergenceError | None:
    """Why the sBG likelihood of these data peaks on the boundary, or None if it need not.

    Three cases have no finite maximum-likelihood estimate: nobody churned (alpha -> 0), every
    customer churned in the first period (beta -> 0), and churn that does not slow down with
    tenure: the sBG then fits best as alpha and beta grow together without bound, where it
    becomes the geometric model (one churn probability for everyone;
    :class:`ConstantChurnError`). The last case is recognised when the optimiser ran off along
    that ridge, or when the geometric model, at its own maximum, fits at least as well as the
    best sBG found.
    """
    seen = np.asarray(weights) > 0
    t, is_churn, weights = t[seen], is_churn[seen], weights[seen]
    n = float(np.sum(weights))
    churners = float(np.sum(weights[is_churn]))
    if churners == 0:
        return ConvergenceError(
            _NO_INTERIOR_MAXIMUM + "nobody churned, so the likelihood keeps rising as alpha -> 0 "
            "(every churn probability near 0); these data cannot say how fast customers churn."
        )
    if churners == n and np.all(t[is_churn] == 1):
        return ConvergenceError(
            _NO_INTERIOR_MAXIMUM + "every customer churned in the first period, so the "
            "likelihood keeps rising as beta -> 0 (every churn probability near 1)."
        )
    periods = float(weights @ t)  # periods at risk: a churn or a renewal each
    theta = churners / periods
    geometric = churners * np.log(theta) + (periods - churners) * np.log1p(-theta)
    # The optimiser ran off along the ridge alpha / (alpha + beta) = theta (alpha, beta > 2e4:
    # churn probabilities differ by less than 1%), or the geometric model fits as well as the
    # best sBG found (which, out there, the sBG's log-likelihood can exceed by rounding only).
    ridge = bool(np.all(np.asarray(best_log_params) > 10.0))
    if ridge or best_loglik <= geometric + 1e-6 * n:
        return ConstantChurnError(
            _NO_INTERIOR_MAXIMUM + f"churn does not slow down with tenure (a constant churn "
            f"probability of {theta:.3g} per period fits as well as any sBG), so the likelihood "
            "keeps rising as alpha and beta grow together without bound, where the sBG becomes a "
            "geometric model with that churn probability. The sBG describes churn that falls "
            "with tenure because customers differ; for constant or rising churn use a geometric "
            "or parametric survival model.",
            churn_probability=theta,
        )
    return None


class ShiftedBetaGeometric(BTYDModel):
    """Shifted-beta-geometric model of contract renewals (Fader & Hardie 2007).

    Parameters
    ----------
    conf_level : float, default 0.95
        Confidence level of the intervals in :attr:`summary`.

    Attributes
    ----------
    alpha_, beta_ : float
        Maximum likelihood estimates of the Beta mixing distribution of churn probabilities.
    log_likelihood_ : float
        Maximised log-likelihood.
    n_fit_periods_ : int
        Number of periods (after period 0) used in the fit.
    survivors_ : numpy.ndarray or None
        The survivor counts used by :meth:`fit` (``None`` after :meth:`fit_individual`).

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. *Journal of
    Interactive Marketing* 21(1), 76-90.

    Examples
    --------
    Regular-segment cohort of Fader & Hardie (2007, Table 1), fitted on years 0-7:

    >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.alpha_, 3), round(m.beta_, 3)
    (0.704, 1.182)
    >>> m.project([8, 12]).round(0).tolist()
    [220.0, 170.0]
    """

    def __init__(self, conf_level: float = 0.95) -> None:
        self.conf_level = check_conf_level(conf_level)

    # ------------------------------------------------------------------ fitting
    def fit(
        self, survivors: ArrayLike, *, n_fit_periods: int | None = None, time_unit: str = "year"
    ) -> ShiftedBetaGeometric:
        """Fit by maximum likelihood to a cohort's survivor counts.

        Parameters
        ----------
        survivors : array-like of int
            Customers still active at the end of periods ``0, 1, ..., T``; ``survivors[0]`` is
            the cohort size.
        n_fit_periods : int, optional
            Use only periods ``0..n_fit_periods`` (the calibration period); later counts are
            kept for :meth:`plot_projection` but not used. Default: all periods.
        time_unit : {"day", "week", "month", "year"}, default "year"
            Length of one contract period; annual discount rates are converted to it exactly.

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, fitted.

        Notes
        -----
        The log-likelihood (Fader & Hardie 2007) is
        ``sum_t (n_{t-1} - n_t) log P(T = t) + n_T log S(T)``.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(m.alpha_, 3), round(m.beta_, 3), round(m.log_likelihood_, 1)
        (0.668, 3.806, -1611.2)
        """
        alpha = self.conf_level
        counts = check_survivor_counts(survivors)
        n_periods = counts.size - 1
        if n_fit_periods is None:
            n_fit_periods = n_periods
        if not 1 <= int(n_fit_periods) <= n_periods or int(n_fit_periods) != n_fit_periods:
            raise DataValidationError(
                f"n_fit_periods must be a whole number between 1 and {n_periods}, "
                f"got {n_fit_periods!r}.",
                column="n_fit_periods",
                rule="out of range",
            )
        n_fit_periods = int(n_fit_periods)
        fit_counts = counts[: n_fit_periods + 1]
        t = np.arange(1, n_fit_periods + 1, dtype=float)
        churned = fit_counts[:-1] - fit_counts[1:]
        # Expressed as individual data: `churned[i]` customers churned in period t[i] and
        # `fit_counts[-1]` are still active after n_fit_periods periods.
        durations = np.append(t, n_fit_periods)
        is_churn = np.append(np.ones_like(t, dtype=bool), False)
        weights = np.append(churned, fit_counts[-1])
        self._fit_weighted(durations, is_churn, weights, alpha)
        self.time_unit_ = check_unit(time_unit)
        self.survivors_: np.ndarray | None = counts
        self.n_fit_periods_ = n_fit_periods
        return self

    def fit_individual(
        self, durations: ArrayLike, events: ArrayLike, *, time_unit: str = "year"
    ) -> ShiftedBetaGeometric:
        """Fit by maximum likelihood to one row per customer.

        Parameters
        ----------
        durations : array-like of int
            For a churner, the period ``t >= 1`` in which they churned (they renewed
            ``t - 1`` times); for an active customer, the number of periods ``t >= 0`` they
            have completed so far.
        events : array-like of bool
            ``True`` for customers who churned, ``False`` for still-active (censored) ones.
        time_unit : {"day", "week", "month", "year"}, default "year"
            Length of one period; annual discount rates are converted to it exactly.

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, fitted. A churner contributes ``P(T = t)``, an active customer ``S(t)``.

        Raises
        ------
        ConvergenceError
            No finite estimate: nobody churned (alpha -> 0), everyone churned in period 1
            (beta -> 0), or churn does not slow down with tenure (:class:`ConstantChurnError`,
            which carries the geometric churn probability), or the optimiser failed; the
            message says which. The convergence test does not depend on the number of customers.

        Examples
        --------
        The regular cohort of Fader & Hardie (2007) expanded to one row per customer gives the
        same estimates as :meth:`fit`:

        >>> import numpy as np
        >>> n = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> durations = np.repeat(np.arange(1, 9), np.append(n[:-1] - n[1:], n[-1]))
        >>> durations[durations == 8] = 7          # the 241 survivors completed 7 periods
        >>> events = np.repeat([True] * 7 + [False], np.append(n[:-1] - n[1:], n[-1]))
        >>> m = ShiftedBetaGeometric().fit_individual(durations, events)
        >>> round(m.alpha_, 3), round(m.beta_, 3)
        (0.704, 1.182)
        """
        alpha = self.conf_level
        flags = np.asarray(events)
        if flags.dtype != bool:
            if not np.isin(flags, [0, 1]).all():
                raise DataValidationError(
                    "events must be boolean (or 0/1).", column="events", rule="non-boolean"
                )
            flags = flags.astype(bool)
        flags = flags.ravel()
        dur = _as_periods(as_float_array(durations, "durations"), name="durations").ravel()
        if dur.size != flags.size:
            raise DataValidationError(
                f"durations and events differ in length ({dur.size} vs {flags.size}).",
                column="events",
                rule="length mismatch",
            )
        if dur.size == 0:
            raise DataValidationError("no customers to fit.", column="durations", rule="empty")
        bad = np.flatnonzero(flags & (dur < 1))
        if bad.size:
            raise DataValidationError(
                f"a churner's duration is the period of churn and must be >= 1; {bad.size} "
                f"churner(s) have duration 0 (rows {bad[:5].tolist()}).",
                column="durations",
                rule="churn in period 0",
                n_rows=int(bad.size),
                examples=bad[:5].tolist(),
            )
        # one row per (period, churned) pair, in that order, with its count: whole periods and
        # a flag packed in one integer (np.unique(axis=0) on the pairs is ~50x slower)
        packed, weights = np.unique(2 * dur.astype(np.int64) + flags, return_counts=True)
        self._fit_weighted(
            (packed // 2).astype(float), (packed % 2).astype(bool), weights.astype(float), alpha
        )
        self.time_unit_ = check_unit(time_unit)
        self.survivors_ = None
        self.n_fit_periods_ = int(dur.max())
        return self

    def _fit_weighted(self, t, is_churn, weights, alpha: float) -> None:
        def negloglik(log_params: np.ndarray) -> float:
            a, b = np.exp(log_params)
            ll = np.where(
                is_churn,
                special.betaln(a + 1.0, b + t - 1.0),
                special.betaln(a, b + t),
            ) - special.betaln(a, b)
            return -float(weights @ ll)

        try:
            log_params, loglik, cov = fit_log_params(
                negloglik, np.zeros(2), model="sBG", n_obs=float(np.sum(weights))
            )
        except NotConverged as exc:
            boundary = _boundary_error(t, is_churn, weights, exc.log_params, exc.log_likelihood)
            if boundary is None:
                raise
            raise boundary from None
        self.alpha_, self.beta_ = (float(v) for v in np.exp(log_params))
        self.params_ = pd.Series({"alpha": self.alpha_, "beta": self.beta_}, name="estimate")
        self.log_likelihood_ = loglik
        self._summary = summary_table(["alpha", "beta"], log_params, cov, alpha)

    def _check_fitted(self) -> None:
        check_is_fitted(self, "alpha_")

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: estimate, delta-method SE and log-scale Wald interval.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> m.summary.columns.tolist()
        ['parameter', 'estimate', 'std_err', 'ci_lower', 'ci_upper']
        """
        self._check_fitted()
        return self._summary.copy()

    _title = "Shifted-beta-geometric model"
    _fitted_attribute = "alpha_"

    def _facts(self) -> dict[str, object]:
        return {
            "periods used in fit": self.n_fit_periods_,
            "log-likelihood": f"{self.log_likelihood_:.3f}",
        }

    # ------------------------------------------------------------------ predictions
    def survival(self, t: ArrayLike) -> np.ndarray:
        """Probability of still being active after ``t`` periods, ``S(t) = P(T > t)``.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> m.survival([0, 1, 7]).round(3).tolist()
        [1.0, 0.627, 0.239]
        """
        self._check_fitted()
        t = _as_periods(t)
        a, b = self.alpha_, self.beta_
        return np.exp(special.betaln(a, b + t) - special.betaln(a, b))

    def churn_probability(self, t: ArrayLike) -> np.ndarray:
        """Probability of churning in period ``t`` (t >= 1), ``P(T = t)``.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> m.churn_probability([1, 2]).round(3).tolist()
        [0.373, 0.153]
        """
        self._check_fitted()
        t = _as_periods(t, minimum=1)
        a, b = self.alpha_, self.beta_
        return np.exp(special.betaln(a + 1.0, b + t - 1.0) - special.betaln(a, b))

    def retention_rate(self, t: ArrayLike) -> np.ndarray:
        """Cohort retention rate in period ``t`` (t >= 1), ``r_t = S(t) / S(t - 1)``.

        Equals ``(beta + t - 1) / (alpha + beta + t - 1)`` (Fader & Hardie 2007): it
        rises with ``t`` although no individual's renewal probability changes.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> m.retention_rate([1, 2, 12]).round(3).tolist()
        [0.627, 0.756, 0.945]
        """
        self._check_fitted()
        t = _as_periods(t, minimum=1)
        return (self.beta_ + t - 1.0) / (self.alpha_ + self.beta_ + t - 1.0)

    def project(self, periods: ArrayLike, *, cohort_size: float | None = None) -> np.ndarray:
        """Expected number of survivors at the end of ``periods``.

        Parameters
        ----------
        periods : int or array-like of int
            Periods ``t >= 0``.
        cohort_size : float, optional
            Cohort size; default the cohort size used in :meth:`fit` (1 after
            :meth:`fit_individual`, i.e. a proportion).

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> m.project(range(8, 13)).round(1).tolist()
        [220.1, 204.4, 191.2, 179.9, 170.0]
        """
        self._check_fitted()
        if cohort_size is None:
            cohort_size = 1.0 if self.survivors_ is None else float(self.survivors_[0])
        return cohort_size * self.survival(periods)

    def expected_lifetime(self) -> float:
        """Expected number of periods a new customer stays, ``E[T] = sum_t>=0 S(t)``.

        Equals ``(alpha + beta - 1) / (alpha - 1)`` when ``alpha > 1`` and is infinite when
        ``alpha <= 1`` (the Beta density piles up near theta = 0: some customers almost never
        churn). With heavy heterogeneity use :meth:`discounted_expected_lifetime` instead.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> m.expected_lifetime()
        inf
        """
        self._check_fitted()
        if self.alpha_ <= 1.0:
            return float("inf")
        return (self.alpha_ + self.beta_ - 1.0) / (self.alpha_ - 1.0)

    def discounted_expected_lifetime(self, annual_discount_rate: float) -> float:
        """Discounted expected lifetime (DEL) of a newly acquired customer, in periods.

        ``DEL = sum_{t>=0} S(t) / (1 + d)^t = 2F1(1, beta; alpha + beta; 1 / (1 + d))``
        (Fader & Hardie 2010): the present value of one unit received now and at each
        renewal. ``d`` is the per-period rate equivalent to the annual rate for the fit's
        ``time_unit`` (:func:`churnsurv.clv.discount.per_period_rate`).

        Parameters
        ----------
        annual_discount_rate : float
            Annual discount rate, e.g. 0.10.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> round(m.discounted_expected_lifetime(0.10), 3)
        3.695
        """
        self._check_fitted()
        d = per_period_rate(annual_discount_rate, self.time_unit_)
        a, b = self.alpha_, self.beta_
        return float(special.hyp2f1(1.0, b, a + b, 1.0 / (1.0 + d)))

    def derl(self, annual_discount_rate: float, *, renewals: int) -> float:
        """Discounted expected residual lifetime (DERL) of a customer with ``renewals`` renewals.

        For a customer who has renewed ``n`` times (so ``T > n``), valued just before the next
        renewal decision (Fader & Hardie 2010):

        ``DERL = sum_{k>=0} S(n + 1 + k) / S(n) / (1 + d)^k
        = B(alpha, beta + n + 1) / B(alpha, beta + n)
        * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + d))``,

        where ``d`` is the per-period rate equivalent to the annual rate. Multiply by the margin
        per period to get the customer's expected residual value.

        Parameters
        ----------
        annual_discount_rate : float
            Annual discount rate.
        renewals : int
            Number of renewals made so far (``n >= 0``).

        Examples
        --------
        Long-tenured customers are worth more: the sorting effect.

        >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> [round(m.derl(0.10, renewals=n), 2) for n in (0, 4, 10)]
        [2.96, 5.89, 7.46]
        """
        self._check_fitted()
        n = float(_as_periods(renewals, name="renewals"))
        d = per_period_rate(annual_discount_rate, self.time_unit_)
        a, b = self.alpha_, self.beta_
        ratio = np.exp(special.betaln(a, b + n + 1.0) - special.betaln(a, b + n))
        return float(ratio * special.hyp2f1(1.0, b + n + 1.0, a + b + n + 1.0, 1.0 / (1.0 + d)))

    def clv(
        self,
        margin: float,
        annual_discount_rate: float,
        *,
        timing: str = "start",
    ) -> float:
        """Expected lifetime value of a newly acquired customer.

        Parameters
        ----------
        margin : float
            Net margin per period of tenure.
        annual_discount_rate : float
            Annual discount rate.
        timing : {"start", "end"}, default "start"
            ``"start"``: the margin is received at the start of each period the customer is
            active (now, and at each renewal), so ``CLV = margin * DEL``. ``"end"``: received
            at the end of each period of tenure, ``CLV = margin * DEL / (1 + d)``.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> round(m.clv(100.0, 0.10), 1), round(m.clv(100.0, 0.10, timing="end"), 1)
        (369.5, 335.9)
        """
        check_choice("timing", timing, _TIMINGS)
        dle = self.discounted_expected_lifetime(annual_discount_rate)
        if timing == "end":
            dle /= 1.0 + per_period_rate(annual_discount_rate, self.time_unit_)
        return float(margin) * dle

    def plot_projection(
        self,
        survivors: ArrayLike | None = None,
        *,
        n_fit_periods: int | None = None,
        ax: Axes | None = None,
    ) -> Axes:
        """Actual vs model-projected percentage of the cohort alive, calibration and holdout.

        Thin wrapper around :func:`churnsurv.plotting.plot_sbg_projection`.

        Parameters
        ----------
        survivors : array-like of int, optional
            Observed survivor counts, periods ``0..T``; default the counts given to
            :meth:`fit`.
        n_fit_periods : int, optional
            Where the calibration period ends; default the value used in :meth:`fit`.
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is created if omitted.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> n = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
        >>> ax = ShiftedBetaGeometric().fit(n, n_fit_periods=7).plot_projection()
        >>> ax.get_ylabel()
        '% of cohort still active'
        """
        from churnsurv.plotting.btyd import plot_sbg_projection

        self._check_fitted()
        if survivors is None:
            if self.survivors_ is None:
                raise DataValidationError(
                    "pass survivors= (the model was fitted with fit_individual).",
                    column="survivors",
                    rule="missing",
                )
            survivors = self.survivors_
        if n_fit_periods is None:
            n_fit_periods = self.n_fit_periods_
        survivors = check_survivor_counts(survivors)
        return plot_sbg_projection(self, survivors, n_fit_periods=n_fit_periods, ax=ax)
