"""BG/NBD model of repeat purchasing and Gamma-Gamma model of spend (non-contractual setting).

BG/NBD (Fader, Hardie & Lee 2005a): while alive, a customer makes repeat purchases as a Poisson
process with rate ``lambda ~ Gamma(r, alpha)``; after any purchase they drop out with
probability ``p ~ Beta(a, b)``. Gamma-Gamma (Fader, Hardie & Lee 2005b; Fader & Hardie 2013):
the value of each transaction is ``Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)`` across
customers, independent of the purchase process.

Every summary quantity (``frequency``, ``recency``, ``T``, ``t``) is in one time unit, the
unit of the RFM table (see :func:`churnsurv.data.rfm_summary`); discounting converts the annual
rate with the exact length of that unit (:data:`churnsurv.data.YEARS_PER_UNIT`: a week is
7 / 365.2425 years, so a year has 52.18 weeks, not 52).

References
----------
.. [1] Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005a). "Counting your customers" the
   easy way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
.. [2] Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005b). RFM and CLV: using iso-value
   curves for customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
.. [3] Fader, P. S. and Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
   http://brucehardie.com/notes/025/
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from churnsurv._typing import ArrayLike, DateLike
from churnsurv._validation import check_conf_level, check_is_fitted, check_unit
from churnsurv.clv.btyd.common import (
    BTYDModel,
    fit_log_params,
    rfm_arrays,
    summary_table,
)
from churnsurv.clv.btyd.gamma_gamma import GammaGamma
from churnsurv.clv.discount import per_period_rate
from churnsurv.data import YEARS_PER_UNIT, elapsed
from churnsurv.exceptions import DataValidationError

__all__ = ["BetaGeoNBD", "customer_lifetime_value"]


def _as_time(t, name: str = "t") -> np.ndarray:
    arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise DataValidationError(
            f"{name} must be finite and >= 0.", column=name, rule="invalid time"
        )
    return arr


class BetaGeoNBD(BTYDModel):
    """Beta-geometric/NBD model of repeat purchasing (Fader, Hardie & Lee 2005a).

    Parameters
    ----------
    alpha : float, default 0.05
        Significance level of the confidence intervals in :attr:`summary` (not the model's
        ``alpha`` parameter, which is ``params_["alpha"]``).

    Attributes
    ----------
    params_ : pandas.Series
        Maximum likelihood estimates of ``r``, ``alpha``, ``a``, ``b``.
    log_likelihood_ : float
        Maximised log-likelihood.
    n_customers_ : int
        Number of customers in the fit.

    Examples
    --------
    CDNOW sample, 39-week calibration (Fader, Hardie & Lee 2005a, section 5):

    >>> import churnsurv as cs
    >>> rfm = cs.rfm_summary(cs.datasets.load_cdnow(), calibration_end="1997-09-30")
    >>> m = BetaGeoNBD().fit(rfm)
    >>> m.params_.round(3).tolist(), round(m.log_likelihood_, 1)
    ([0.243, 4.414, 0.793, 2.426], -9582.4)
    """

    def __init__(self, conf_level: float = 0.95) -> None:
        self.conf_level = check_conf_level(conf_level)

    def fit(
        self,
        rfm: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,  # noqa: N803 - the papers' name
    ) -> BetaGeoNBD:
        """Fit by maximum likelihood (Fader, Hardie & Lee 2005a, eq. 6).

        Parameters
        ----------
        rfm : pandas.DataFrame, optional
            Columns ``frequency`` (repeat purchases), ``recency`` (time of the last purchase
            since the first) and ``T`` (time since the first purchase), e.g. from
            :func:`churnsurv.rfm_summary`.
        frequency, recency, T : array-like, optional
            The same three quantities as arrays, instead of ``rfm``.

        Returns
        -------
        BetaGeoNBD
            ``self``, fitted.

        Examples
        --------
        >>> import churnsurv as cs
        >>> rfm = cs.rfm_summary(cs.datasets.load_cdnow(), calibration_end="1997-09-30")
        >>> m = BetaGeoNBD().fit(frequency=rfm["frequency"], recency=rfm["recency"], T=rfm["T"])
        >>> m.params_.round(3).to_dict()
        {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
        """
        level = self.conf_level
        x, tx, big_t, _ = rfm_arrays(rfm, frequency, recency, T)
        # Customers with identical (x, t_x, T) contribute identical terms: fit on the unique rows.
        keys, weights = np.unique(np.column_stack([x, tx, big_t]), axis=0, return_counts=True)
        x, tx, big_t = keys.T
        has_repeat = x > 0
        x1 = np.maximum(x, 1.0)

        def negloglik(log_params: np.ndarray) -> float:
            r, alpha, a, b = np.exp(log_params)
            base = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
            alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + big_t)
            dropped = special.betaln(a + 1.0, b + x1 - 1.0) - (r + x) * np.log(alpha + tx)
            ll = base - special.betaln(a, b)
            ll = ll + np.where(has_repeat, np.logaddexp(alive, dropped), alive)
            return -float(weights @ ll)

        x0 = np.log([0.5, max(float(np.mean(big_t)), 1e-3), 1.0, 1.0])
        log_params, loglik, cov = fit_log_params(
            negloglik, x0, model="BG/NBD", n_obs=float(weights.sum())
        )
        names = ["r", "alpha", "a", "b"]
        self.params_ = pd.Series(np.exp(log_params), index=names, name="estimate")
        self.log_likelihood_ = loglik
        self.n_customers_ = int(weights.sum())
        self._summary = summary_table(names, log_params, cov, level)
        return self

    def _check_fitted(self) -> tuple[float, float, float, float]:
        check_is_fitted(self)
        r, alpha, a, b = (float(self.params_[k]) for k in ("r", "alpha", "a", "b"))
        return r, alpha, a, b

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: estimate, delta-method SE and log-scale Wald interval.

        Examples
        --------
        >>> import churnsurv as cs
        >>> rfm = cs.rfm_summary(cs.datasets.load_cdnow(), calibration_end="1997-09-30")
        >>> BetaGeoNBD().fit(rfm).summary.round(3)
          parameter  estimate  std_err  ci_lower  ci_upper
        0         r     0.243    0.013     0.219     0.268
        1     alpha     4.414    0.378     3.731     5.221
        2         a     0.793    0.186     0.501     1.255
        3         b     2.426    0.705     1.372     4.289
        """
        self._check_fitted()
        return self._summary.copy()

    _title = "BG/NBD model"
    _fitted_attribute = "params_"

    def _facts(self) -> dict[str, object]:
        return {"customers": self.n_customers_, "log-likelihood": f"{self.log_likelihood_:.2f}"}

    # ------------------------------------------------------------------ predictions
    def probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> np.ndarray:
        """Probability that a customer with history ``(x, t_x, T)`` is still alive at ``T``.

        ``P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))``
        (Fader, Hardie & Lee 2005a; Hardie's note "Computing P(alive) using the BG/NBD model",
        brucehardie.com/notes/021), computed on the log scale.

        Examples
        --------
        >>> import pandas as pd
        >>> m = BetaGeoNBD()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m.probability_alive([0, 2, 2], [0, 30.43, 5], [38.86] * 3).round(3).tolist()
        [1.0, 0.727, 0.124]
        """
        r, alpha, a, b = self._check_fitted()
        x, tx, big_t, _ = rfm_arrays(None, frequency, recency, T)
        with np.errstate(divide="ignore"):
            log_odds = (
                np.log(a)
                - np.log(b + np.maximum(x, 1.0) - 1.0)
                + (r + x) * (np.log(alpha + big_t) - np.log(alpha + tx))
            )
        return np.where(x > 0, special.expit(-log_odds), 1.0)

    def expected_transactions(self, t: ArrayLike) -> np.ndarray:
        """Expected repeat transactions of a new customer in ``(0, t]``, ``E[X(t)]``.

        Fader, Hardie & Lee (2005a), eq. 9:
        ``(a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))^r 2F1(r, b; a + b - 1; t / (alpha
        + t))]``, evaluated through Pfaff's transformation
        ``(alpha / (alpha + t))^r 2F1(...) = 2F1(r, a - 1; a + b - 1; -t / alpha)``, which never
        overflows.

        Examples
        --------
        >>> import pandas as pd
        >>> m = BetaGeoNBD()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m.expected_transactions([39, 78]).round(3).tolist()
        [1.197, 1.861]
        """
        r, alpha, a, b = self._check_fitted()
        t = _as_time(t)
        hyp = special.hyp2f1(r, a - 1.0, a + b - 1.0, -t / alpha)
        return (a + b - 1.0) / (a - 1.0) * (1.0 - hyp)

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> np.ndarray:
        """Probability of exactly ``n`` repeat purchases in ``(0, t]``, ``P(X(t) = n)``.

        Fader, Hardie & Lee (2005a), eq. 8, written with the NBD mass and tail:
        ``B(a, b + n) / B(a, b) NBD(n) + [n > 0] B(a + 1, b + n - 1) / B(a, b) P(NBD >= n)``
        with ``NBD ~ NegBin(r, alpha / (alpha + t))``.

        Examples
        --------
        >>> import pandas as pd
        >>> m = BetaGeoNBD()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m.probability_of_purchases([0, 1, 2], 39).round(3).tolist()
        [0.574, 0.199, 0.085]
        """
        r, alpha, a, b = self._check_fitted()
        n = np.asarray(n, dtype=float)
        t = _as_time(t)
        if np.any(n < 0) or np.any(n != np.round(n)):
            raise DataValidationError(
                "n must be whole numbers >= 0.", column="n", rule="invalid count"
            )
        nbd = stats.nbinom(r, alpha / (alpha + t))
        n1 = np.maximum(n, 1.0)
        stay = np.exp(special.betaln(a, b + n) - special.betaln(a, b)) * nbd.pmf(n)
        drop = np.exp(special.betaln(a + 1.0, b + n1 - 1.0) - special.betaln(a, b))
        return stay + np.where(n > 0, drop * nbd.sf(n1 - 1.0), 0.0)

    def conditional_expected_transactions(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> np.ndarray:
        """Expected repeat transactions in ``(T, T + t]`` given the history ``(x, t_x, T)``.

        Fader, Hardie & Lee (2005a), eq. 10, with the hypergeometric term evaluated through
        Pfaff's transformation, ``((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x;
        a + b + x - 1; t / (alpha + T + t)) = 2F1(r + x, a - 1; a + b + x - 1; -t / (alpha +
        T))``, so large frequencies do not overflow.

        Examples
        --------
        >>> import pandas as pd
        >>> m = BetaGeoNBD()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})

        The customer of Fader, Hardie & Lee (2005a, section 5) with x = 2, t_x = 30.43 and
        T = 38.86 is expected to make 1.226 purchases in the next 39 weeks:

        >>> m.conditional_expected_transactions(39, [2, 0], [30.43, 0], [38.86, 38.86]).round(3)
        array([1.226, 0.195])
        """
        r, alpha, a, b = self._check_fitted()
        x, tx, big_t, _ = rfm_arrays(None, frequency, recency, T)
        t = _as_time(t)
        hyp = special.hyp2f1(r + x, a - 1.0, a + b + x - 1.0, -t / (alpha + big_t))
        expected_if_alive = (a + b + x - 1.0) / (a - 1.0) * (1.0 - hyp)
        return expected_if_alive * self.probability_alive(x, tx, big_t)

    def expected_repeat_by_frequency(
        self, rfm: pd.DataFrame, *, max_frequency: int = 7
    ) -> pd.DataFrame:
        """Mean actual vs expected holdout transactions by calibration frequency.

        The conditional-expectation check of Fader, Hardie & Lee (2005a): customers
        are grouped by their number of repeat purchases in calibration (``max_frequency`` or
        more pooled) and, for each group, the mean number of holdout transactions is compared
        with the mean of :meth:`conditional_expected_transactions` over ``duration_holdout``.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Output of :func:`churnsurv.rfm_summary` with ``observation_end`` (columns
            ``frequency``, ``recency``, ``T``, ``frequency_holdout``, ``duration_holdout``).
        max_frequency : int, default 7
            Frequencies ``>= max_frequency`` form the last group (labelled ``"7+"``).

        Returns
        -------
        pandas.DataFrame
            Indexed by group label, columns ``n_customers``, ``actual``, ``expected``.

        Examples
        --------
        >>> import pandas as pd
        >>> m = BetaGeoNBD()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> rfm = pd.DataFrame({"frequency": [0, 1, 9], "recency": [0.0, 5.0, 30.0],
        ...                     "T": [39.0] * 3, "frequency_holdout": [0, 1, 4],
        ...                     "duration_holdout": [39.0] * 3})
        >>> m.expected_repeat_by_frequency(rfm, max_frequency=2)["n_customers"].tolist()
        [1, 1, 1]
        """
        missing = [c for c in ("frequency_holdout", "duration_holdout") if c not in rfm.columns]
        if missing:
            raise DataValidationError(
                f"rfm has no holdout column(s) {missing}: build it with "
                "rfm_summary(..., calibration_end=..., observation_end=...).",
                column=missing[0],
                rule="missing column",
            )
        x, tx, big_t, _ = rfm_arrays(rfm)
        expected = self.conditional_expected_transactions(
            rfm["duration_holdout"].to_numpy(dtype=float), x, tx, big_t
        )
        k = int(max_frequency)
        labels = [str(i) for i in range(k)] + [f"{k}+"]
        group = pd.Categorical.from_codes(np.minimum(x, k).astype(int), labels)
        table = (
            pd.DataFrame(
                {
                    "group": group,
                    "actual": rfm["frequency_holdout"].to_numpy(dtype=float),
                    "expected": expected,
                }
            )
            .groupby("group", observed=False)
            .agg(
                n_customers=("actual", "size"),
                actual=("actual", "mean"),
                expected=("expected", "mean"),
            )
        )
        table.index.name = "calibration_frequency"
        return table

    def expected_customers_by_frequency(
        self, rfm: pd.DataFrame, *, max_frequency: int = 7
    ) -> pd.DataFrame:
        """Actual vs expected number of customers by calibration frequency.

        The in-sample fit check of Fader, Hardie & Lee (2005a): the expected count
        for ``x`` repeat purchases is ``sum_i P(X(T_i) = x)`` (each customer observed for their
        own ``T_i``); the last group pools ``max_frequency`` or more.

        Examples
        --------
        >>> import pandas as pd
        >>> m = BetaGeoNBD()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> rfm = pd.DataFrame({"frequency": [0, 1, 9], "recency": [0.0, 5.0, 30.0],
        ...                     "T": [39.0] * 3})
        >>> float(m.expected_customers_by_frequency(rfm)["expected"].sum().round(6))
        3.0
        """
        x, _, big_t, _ = rfm_arrays(rfm)
        k = int(max_frequency)
        probs = np.stack([self.probability_of_purchases(n, big_t) for n in range(k)])
        expected = np.append(probs.sum(axis=1), big_t.size - probs.sum())
        actual = np.bincount(np.minimum(x, k).astype(int), minlength=k + 1)
        index = pd.Index([str(i) for i in range(k)] + [f"{k}+"], name="calibration_frequency")
        return pd.DataFrame({"actual": actual, "expected": expected}, index=index)

    def cumulative_repeat_transactions(
        self,
        transactions: pd.DataFrame,
        *,
        observation_end: DateLike,
        calibration_end: DateLike | None = None,
        customer_id: str = "customer_id",
        date: str = "date",
        time_unit: str = "week",
    ) -> pd.DataFrame:
        """Cumulative repeat transactions over calendar time, actual vs expected.

        The tracking check of Fader, Hardie & Lee (2005a). Time is counted in
        ``time_unit`` from the cohort's first purchase date; same-day purchases are one
        transaction. A customer whose first purchase is at time ``s_i`` is expected to have made
        ``E[X(tau - s_i)]`` repeat purchases by time ``tau``.

        Parameters
        ----------
        transactions : pandas.DataFrame
            The transaction log.
        observation_end : date-like
            Last day of the tracking period.
        calibration_end : date-like, optional
            If given, only customers whose first purchase is on or before it form the cohort
            (as in :func:`churnsurv.rfm_summary`).
        customer_id, date : str
            Column names.
        time_unit : {"day", "week", "month", "year"}, default "week"
            Must be the unit the model was fitted in.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``time_unit`` 1, 2, ... up to ``observation_end``; columns ``actual``
            and ``expected`` cumulative repeat transactions (a purchase at time ``u`` counts from
            the first grid point ``tau > u``).

        Examples
        --------
        >>> import pandas as pd
        >>> m = BetaGeoNBD()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
        ...                    "date": pd.to_datetime(["2020-01-01", "2020-01-09", "2020-01-02"])})
        >>> m.cumulative_repeat_transactions(tx, observation_end="2020-01-21")["actual"].tolist()
        [0, 1, 1]
        """
        self._check_fitted()
        missing = [c for c in (customer_id, date) if c not in transactions.columns]
        if missing:
            raise DataValidationError(
                f"transactions is missing column(s) {missing}.",
                column=missing[0],
                rule="missing column",
            )
        days = pd.DataFrame(
            {
                "cid": transactions[customer_id].to_numpy(),
                "day": pd.to_datetime(transactions[date]).dt.normalize(),
            }
        ).drop_duplicates()
        first = days.groupby("cid")["day"].transform("min")
        if calibration_end is not None:
            days = days[first <= pd.Timestamp(calibration_end)]
            first = first[days.index]
        start = days["day"].min()
        end = pd.Timestamp(observation_end)
        days = days[days["day"] <= end]
        first = first[days.index]
        is_repeat = (days["day"] > first).to_numpy()
        when = elapsed(np.full(len(days), start), days["day"], time_unit)
        births = elapsed(np.full(len(days), start), first, time_unit)[~is_repeat]
        horizon = float(elapsed(pd.Series([start]), pd.Series([end]), time_unit)[0])
        grid = np.arange(1, int(np.ceil(horizon)) + 1, dtype=float)
        actual = np.searchsorted(np.sort(when[is_repeat]), grid, side="left")
        unique_births, counts = np.unique(births, return_counts=True)
        since_birth = np.clip(grid[:, None] - unique_births[None, :], 0.0, None)
        expected = self.expected_transactions(since_birth) @ counts
        out = pd.DataFrame(
            {"actual": actual, "expected": expected},
            index=pd.Index(grid.astype(int), name=time_unit),
        )
        if calibration_end is not None:
            cal = elapsed(pd.Series([start]), pd.Series([pd.Timestamp(calibration_end)]), time_unit)
            out.attrs["calibration_end"] = float(cal[0])
        out.attrs["time_unit"] = time_unit
        return out


def customer_lifetime_value(
    bgnbd: BetaGeoNBD,
    gg: GammaGamma,
    rfm: pd.DataFrame,
    *,
    horizon: float,
    annual_discount_rate: float,
    time_unit: str = "week",
    step: float = 1.0,
    margin_fraction: float = 1.0,
) -> pd.Series:
    """Discounted expected value of each customer's purchases over the next ``horizon``.

    ``CLV_i = margin_fraction * E(Z_i) * sum_k [E(Y_i(tau_k)) - E(Y_i(tau_{k-1}))]
    (1 + d)^(-tau_k / u)``
    with ``tau_k = min(k * step, horizon)``: the expected transactions in each step
    (:meth:`BetaGeoNBD.conditional_expected_transactions`), valued at the customer's expected
    spend (:meth:`GammaGamma.conditional_expected_spend`) and discounted from the end of the
    step. ``u`` is the number of ``time_unit`` in a year, exactly (weeks: 365.2425 / 7 =
    52.1775; months: 12; days: 365.2425).

    Parameters
    ----------
    bgnbd : BetaGeoNBD
        Fitted purchase model.
    gg : GammaGamma
        Fitted spend model.
    rfm : pandas.DataFrame
        ``frequency``, ``recency``, ``T`` and ``monetary_value``, in ``time_unit``.
    horizon : float
        Length of the projection, in ``time_unit`` (e.g. 365.2425 / 7 for one year of weeks).
    annual_discount_rate : float
        Annual discount rate, e.g. 0.10.
    time_unit : {"day", "week", "month", "year"}, default "week"
        Unit of ``rfm``, ``horizon`` and ``step``; must match ``rfm.attrs["time_unit"]`` when
        the table comes from :func:`churnsurv.rfm_summary`.
    step : float, default 1.0
        Discounting step, in ``time_unit``.
    margin_fraction : float, default 1.0
        Share of revenue that is profit (1.0 gives discounted revenue). Unlike ``margin`` in
        :func:`churnsurv.clv` (money per period), this is a fraction.

    Returns
    -------
    pandas.Series
        ``clv`` per customer, indexed like ``rfm``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = BetaGeoNBD()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> gg = GammaGamma()
    >>> gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "gamma": 15.44})
    >>> rfm = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.0], "T": [39.0, 39.0],
    ...                     "monetary_value": [0.0, 40.0]}, index=["a", "b"])
    >>> customer_lifetime_value(m, gg, rfm, horizon=52, annual_discount_rate=0.1).round(2)
    a     8.46
    b    57.63
    Name: clv, dtype: float64
    """
    check_unit(time_unit)
    table_unit = rfm.attrs.get("time_unit")
    if table_unit is not None and table_unit != time_unit:
        raise DataValidationError(
            f"rfm is in {table_unit}s but time_unit={time_unit!r}; the horizon, step and "
            "model must share one unit.",
            column="time_unit",
            rule="time unit mismatch",
        )
    if "monetary_value" not in rfm.columns:
        raise DataValidationError(
            "rfm has no monetary_value column.", column="monetary_value", rule="missing column"
        )
    if not (np.isfinite(horizon) and horizon > 0 and np.isfinite(step) and step > 0):
        raise DataValidationError(
            f"horizon and step must be positive, got horizon={horizon!r}, step={step!r}.",
            column="horizon",
            rule="non-positive horizon",
        )
    d = per_period_rate(annual_discount_rate, "year")
    x, tx, big_t, _ = rfm_arrays(rfm)
    spend = gg.conditional_expected_spend(x, rfm["monetary_value"].to_numpy(dtype=float))
    grid = np.minimum(step * np.arange(1, int(np.ceil(horizon / step - 1e-9)) + 1), horizon)
    cumulative = np.stack(
        [np.zeros_like(x)]
        + [bgnbd.conditional_expected_transactions(u, x, tx, big_t) for u in grid]
    )
    discount = np.exp(-grid * YEARS_PER_UNIT[time_unit] * np.log1p(d))
    value = margin_fraction * spend * (discount @ np.diff(cumulative, axis=0))
    return pd.Series(value, index=rfm.index, name="clv")
