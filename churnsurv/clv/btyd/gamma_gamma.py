"""Gamma-Gamma model of average transaction value (Fader, Hardie & Lee 2005b).

Fitted on repeat buyers' number of repeat transactions and mean repeat-transaction value; paired
with :class:`~churnsurv.clv.btyd.bgnbd.BetaGeoNBD` for the CLV of non-contractual customers.
Reproduces the published CDNOW estimates (p 6.25, q 3.74, gamma 15.44).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from churnsurv._typing import ArrayLike
from churnsurv._validation import as_float_array, check_conf_level, check_is_fitted
from churnsurv.clv.btyd.common import (
    BTYDModel,
    check_frequency,
    fail_rows,
    fit_log_params,
    summary_table,
)
from churnsurv.exceptions import DataValidationError

__all__ = ["GammaGamma"]


class GammaGamma(BTYDModel):
    """Gamma-Gamma model of average transaction value (Fader, Hardie & Lee 2005b).

    A customer's transaction values are i.i.d. ``Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)``
    across customers. Fitted on repeat buyers only, to their number of repeat transactions
    ``x`` and mean repeat-transaction value ``m``; assumes spend is independent of the
    purchase process.

    Parameters
    ----------
    conf_level : float, default 0.95
        Confidence level of the intervals in :attr:`summary`.

    Attributes
    ----------
    params_ : pandas.Series
        Maximum likelihood estimates of ``p``, ``q``, ``gamma``.
    log_likelihood_ : float
        Maximised log-likelihood.
    n_customers_ : int
        Number of repeat buyers used; ``n_excluded_`` customers with frequency 0 were left out.

    Examples
    --------
    The 946 repeat buyers of the CDNOW sample (Fader & Hardie 2013):

    >>> import churnsurv as cs
    >>> rfm = cs.rfm_summary(cs.datasets.load_cdnow(), calibration_end="1997-09-30")
    >>> gg = GammaGamma().fit(rfm["frequency"], rfm["monetary_value"])
    >>> gg.params_.round(2).tolist(), gg.n_customers_
    ([6.25, 3.74, 15.44], 946)
    """

    def __init__(self, conf_level: float = 0.95) -> None:
        self.conf_level = check_conf_level(conf_level)

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGamma:
        """Fit by maximum likelihood (Fader & Hardie 2013) to the repeat buyers.

        Parameters
        ----------
        frequency : array-like of int
            Number of repeat transactions ``x``; customers with ``x == 0`` are left out.
        monetary_value : array-like of float
            Mean value of the repeat transactions; must be > 0 where ``x > 0``.

        Returns
        -------
        GammaGamma
            ``self``, fitted.

        Examples
        --------
        >>> import churnsurv as cs
        >>> rfm = cs.rfm_summary(cs.datasets.load_cdnow(), calibration_end="1997-09-30")
        >>> gg = GammaGamma().fit(rfm["frequency"], rfm["monetary_value"])
        >>> gg.n_customers_, gg.n_excluded_
        (946, 1411)
        """
        level = self.conf_level
        x, m = self._validate(frequency, monetary_value)
        repeat = x > 0
        if repeat.sum() < 2:
            raise DataValidationError(
                "GammaGamma needs at least 2 customers with a repeat purchase.",
                column="frequency",
                rule="too few repeat buyers",
                n_rows=int(repeat.sum()),
            )
        x, m = x[repeat], m[repeat]
        log_mx = np.log(m * x)

        def negloglik(log_params: np.ndarray) -> float:
            p, q, gamma = np.exp(log_params)
            px = p * x
            ll = (
                special.gammaln(px + q)
                - special.gammaln(px)
                - special.gammaln(q)
                + q * np.log(gamma)
                + (px - 1.0) * log_mx
                + np.log(x)
                - (px + q) * np.logaddexp(np.log(gamma), log_mx)
            )
            return -float(ll.sum())

        # Start near q = 3 and a population mean equal to the sample mean: p * gamma / (q - 1).
        x0 = np.log([1.0, 3.0, 2.0 * float(np.mean(m))])
        log_params, loglik, cov = fit_log_params(negloglik, x0, model="Gamma-Gamma", n_obs=x.size)
        names = ["p", "q", "gamma"]
        self.params_ = pd.Series(np.exp(log_params), index=names, name="estimate")
        self.log_likelihood_ = loglik
        self.n_customers_ = int(repeat.sum())
        self.n_excluded_ = int((~repeat).sum())
        self._summary = summary_table(names, log_params, cov, level)
        return self

    @staticmethod
    def _validate(frequency, monetary_value) -> tuple[np.ndarray, np.ndarray]:
        ids = list(frequency.index) if isinstance(frequency, pd.Series) else None
        x = as_float_array(frequency, "frequency")
        m = as_float_array(monetary_value, "monetary_value")
        if x.size != m.size:
            raise DataValidationError(
                f"frequency and monetary_value differ in length ({x.size} vs {m.size}).",
                column="monetary_value",
                rule="length mismatch",
            )
        check_frequency(x, ids)
        fail_rows(
            "monetary_value",
            "non-positive spend",
            "must be > 0 for customers with repeat purchases",
            (x > 0) & (m <= 0),
            ids,
        )
        return np.round(x), m

    def _check_fitted(self) -> tuple[float, float, float]:
        check_is_fitted(self)
        p, q, gamma = (float(self.params_[k]) for k in ("p", "q", "gamma"))
        return p, q, gamma

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: estimate, delta-method SE and log-scale Wald interval.

        Examples
        --------
        >>> import churnsurv as cs
        >>> rfm = cs.rfm_summary(cs.datasets.load_cdnow(), calibration_end="1997-09-30")
        >>> GammaGamma().fit(rfm["frequency"], rfm["monetary_value"]).summary.round(2)
          parameter  estimate  std_err  ci_lower  ci_upper
        0         p      6.25     1.19      4.30      9.08
        1         q      3.74     0.29      3.22      4.36
        2     gamma     15.44     4.16      9.11     26.18
        """
        self._check_fitted()
        return self._summary.copy()

    _title = "Gamma-Gamma spend model"
    _fitted_attribute = "params_"

    def _facts(self) -> dict[str, object]:
        return {
            "customers": self.n_customers_,
            "left out (no repeat purchase)": self.n_excluded_,
            "log-likelihood": f"{self.log_likelihood_:.2f}",
        }

    def mean_spend(self) -> float:
        """Population mean transaction value, ``E(Z) = p gamma / (q - 1)`` (infinite if q <= 1).

        Examples
        --------
        >>> import pandas as pd
        >>> gg = GammaGamma()
        >>> gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "gamma": 15.44})
        >>> round(gg.mean_spend(), 2)
        35.22
        """
        p, q, gamma = self._check_fitted()
        return float("inf") if q <= 1.0 else p * gamma / (q - 1.0)

    def conditional_expected_spend(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> np.ndarray:
        """Expected transaction value of a customer with ``x`` repeat purchases of mean ``m``.

        ``E(Z | x, m) = p (gamma + m x) / (p x + q - 1)`` (Fader & Hardie 2013): a
        weighted average of the population mean and the customer's own mean, the weight on the
        latter growing with ``x``. For ``x = 0`` it is the population mean.

        Examples
        --------
        >>> import pandas as pd
        >>> gg = GammaGamma()
        >>> gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "gamma": 15.44})
        >>> gg.conditional_expected_spend([0, 1, 10], [0.0, 100.0, 100.0]).round(2).tolist()
        [35.22, 80.26, 97.28]
        """
        p, q, gamma = self._check_fitted()
        x, m = self._validate(frequency, monetary_value)
        m = np.where(x > 0, m, 0.0)
        return p * (gamma + m * x) / (p * x + q - 1.0)
