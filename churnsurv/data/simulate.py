"""Simulated customer bases and transaction logs with known ground truth.

* :func:`simulate_customers` -- subscription customers whose churn times (in months) follow a
  proportional-hazards model with a Weibull or piecewise-constant baseline hazard, optional
  gamma frailty, competing churn reasons, censoring at a cutoff date and optional left
  truncation (snapshot data).
* :func:`simulate_transactions` -- a non-contractual transaction log from the BG/NBD model
  (Fader, Hardie & Lee 2005, "Counting your customers the easy way") with optional
  Gamma-Gamma spend (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves").

Durations are converted to calendar time exactly with fixed unit lengths: a month is the
average Gregorian month, ``DAYS_PER_MONTH = 365.2425 / 12 = 30.436875`` days, a week is 7 days.
Both functions take ``rng`` (an int seed or a :class:`numpy.random.Generator`); the same seed
gives identical output.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from churnsurv.data._competing import competing_times, reason_hazards, reason_incidence

__all__ = [
    "DAYS_PER_MONTH",
    "DEFAULT_EFFECTS",
    "DEFAULT_REASONS",
    "SimulatedBase",
    "SimulatedTransactions",
    "simulate_customers",
    "simulate_transactions",
]

DAYS_PER_MONTH = 365.2425 / 12  # average Gregorian month: 30.436875 days
_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH, "year": 365.2425}

# Covariate distribution of the simulated base. The first level of each categorical is the
# reference level of the treatment coding (as formulaic/lifelines would choose it).
_PLANS = ("basic", "standard", "premium")
_PLAN_PROBS = (0.5, 0.3, 0.2)
_PLAN_MEAN_CHARGES = (50.0, 75.0, 100.0)  # monthly_charges ~ Normal(plan mean, 12), >= 5
_CHANNELS = ("online", "partner", "store")
_CHANNEL_PROBS = (0.6, 0.25, 0.15)
_SENIOR_PROB = 0.16
_REFERENCE = {"plan": "basic", "channel": "online", "senior": False, "monthly_charges": 70.0}

#: Default log hazard ratios, keyed by the term names lifelines gives with ``formula=``.
DEFAULT_EFFECTS = MappingProxyType(
    {
        "plan[T.standard]": -0.3,
        "plan[T.premium]": -0.6,
        "channel[T.partner]": 0.2,
        "channel[T.store]": -0.25,
        "monthly_charges": 0.01,  # per currency unit of monthly charges
        "senior": 0.3,
    }
)
#: Default churn reasons and their shares of the hazard ("payment_failure" is involuntary).
DEFAULT_REASONS = MappingProxyType(
    {"price": 0.35, "service": 0.25, "competitor": 0.25, "payment_failure": 0.15}
)


# ---------------------------------------------------------------------------- validation
def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _number(name: str, value: Any, *, allow_zero: bool = False) -> float:
    rule = ">= 0" if allow_zero else "> 0"
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not (math.isfinite(x) and (x >= 0 if allow_zero else x > 0)):
        raise ValueError(f"{name} must be a finite number {rule}; got {value!r}")
    return x


def _date(name: str, value: Any) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if pd.isna(ts):
        raise ValueError(f"{name} must be a date like '2018-01-01' or a Timestamp; got {value!r}")
    return ts


def _choice(name: str, value: Any, allowed: Any) -> Any:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}; got {value!r}")
    return value


def _effects(effects: Mapping[str, float] | None) -> pd.Series:
    unknown = sorted(set(effects or {}) - set(DEFAULT_EFFECTS))
    if unknown:
        raise ValueError(f"effects has unknown terms {unknown}; allowed: {list(DEFAULT_EFFECTS)}")
    beta = pd.to_numeric(pd.Series({**DEFAULT_EFFECTS, **(effects or {})}), errors="coerce")
    if not np.all(np.isfinite(beta)):
        raise ValueError(f"effects must be finite log hazard ratios; got {dict(effects or {})}")
    return beta.astype(float).rename("log_hr").rename_axis("term")


def _shares(reasons: Mapping[str, float] | None) -> dict[str, float]:
    shares = dict(DEFAULT_REASONS if reasons is None else reasons)
    values = pd.to_numeric(pd.Series(shares, dtype=object), errors="coerce").to_numpy(float)
    if not shares or not np.all(np.isfinite(values) & (values >= 0)):
        raise ValueError(f"reasons must map reason names to shares >= 0; got {reasons!r}")
    if not math.isclose(values.sum(), 1.0, abs_tol=1e-9):
        raise ValueError(f"reasons shares must sum to 1; got sum {values.sum():.6g}")
    return dict(zip(map(str, shares), values.tolist(), strict=True))


# ------------------------------------------------------------------------- baseline hazard
def _baseline(kind: str, shape: float, scale: float, rates: Any, breaks: Any) -> dict[str, Any]:
    _choice("baseline", kind, {"weibull", "piecewise"})
    if kind == "weibull":
        if rates is not None or breaks is not None:
            raise ValueError(
                "piecewise_rates/piecewise_breaks need baseline='piecewise'; got 'weibull'"
            )
        return {"shape": _number("shape", shape), "scale": _number("scale", scale)}
    r = np.atleast_1d(np.asarray(rates if rates is not None else [], dtype=float))
    b = np.atleast_1d(np.asarray(breaks if breaks is not None else [], dtype=float))
    if r.size == 0 or not np.all(np.isfinite(r) & (r >= 0)):
        raise ValueError(f"piecewise_rates must be finite monthly rates >= 0; got {rates!r}")
    if b.size != r.size - 1:
        raise ValueError(
            f"piecewise_breaks must have len(piecewise_rates) - 1 = {r.size - 1} values; "
            f"got {b.size}"
        )
    if b.size and not (np.all(np.isfinite(b)) and b[0] > 0 and np.all(np.diff(b) > 0)):
        raise ValueError(f"piecewise_breaks must be strictly increasing and > 0; got {breaks!r}")
    return {"rates": tuple(r.tolist()), "breaks": tuple(b.tolist())}


def _piecewise_knots(params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval starts, rates and cumulative hazard at each interval start."""
    edges = np.concatenate([[0.0], params["breaks"]])
    rates = np.asarray(params["rates"], dtype=float)
    h_edges = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(edges))])
    return edges, rates, h_edges


def _cumulative_hazard(kind: str, params: Mapping[str, Any], t: Any) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if kind == "weibull":
        return (t / params["scale"]) ** params["shape"]
    edges, rates, h_edges = _piecewise_knots(params)
    k = np.searchsorted(edges, t, side="right") - 1
    return h_edges[k] + rates[k] * (t - edges[k])


def _inverse_cumulative_hazard(kind: str, params: Mapping[str, Any], h: np.ndarray) -> np.ndarray:
    """Smallest t with H0(t) = h (inf when the hazard never accumulates h)."""
    if kind == "weibull":
        return params["scale"] * h ** (1.0 / params["shape"])
    edges, rates, h_edges = _piecewise_knots(params)
    k = np.searchsorted(h_edges, h, side="right") - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rates[k] > 0, edges[k] + (h - h_edges[k]) / rates[k], np.inf)


def _to_timedelta(amount: np.ndarray, unit_days: float) -> np.ndarray:
    """``amount`` units of ``unit_days`` days as timedelta64[ns], rounded to the ns; NaN -> NaT.

    Done by hand: ``pd.to_timedelta`` on floats containing NaN can emit spurious overflow
    RuntimeWarnings (pandas 2.3).
    """
    out = np.full(amount.shape, np.timedelta64("NaT"), dtype="timedelta64[ns]")
    ok = np.isfinite(amount)
    out[ok] = np.round(amount[ok] * (unit_days * 86_400e9)).astype("timedelta64[ns]")
    return out


# ----------------------------------------------------------------------------- results
def _html_table(rows: Mapping[str, Any]) -> str:
    return pd.Series(rows, dtype=object).to_frame("").to_html()


@dataclass(frozen=True, repr=False)
class SimulatedBase:
    """A simulated customer base and the truth it was drawn from.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer; columns as described in :func:`simulate_customers`.
    truth : dict
        The generating parameters; see :func:`simulate_customers`.

    Examples
    --------
    >>> base = simulate_customers(200, rng=1)
    >>> float(base.truth["coefficients"]["plan[T.premium]"])
    -0.6
    >>> round(float(base.baseline_survival(24.0)), 4)  # exp(-(24/24)**1.2)
    0.3679
    """

    customers: pd.DataFrame
    truth: dict[str, Any]

    @property
    def n_removed(self) -> int:
        """Customers dropped because they churned before ``observation_start``."""
        return int(self.truth["n_removed_by_truncation"])

    def baseline_survival(self, t: Any, *, marginal: bool = False) -> np.ndarray:
        """Survival of the reference customer at ``t`` months.

        ``S0(t) = exp(-H0(t))`` given frailty 1; with ``marginal=True``, averaged over the
        gamma frailty of variance ``theta``: ``(1 + theta * H0(t)) ** (-1 / theta)``.

        Examples
        --------
        >>> base = simulate_customers(10, rng=0, frailty_variance=1.0)
        >>> base.baseline_survival([0.0, 24.0], marginal=True)  # 1 / (1 + 1)
        array([1. , 0.5])
        """
        if np.any(np.asarray(t, dtype=float) < 0):
            raise ValueError(f"t must be >= 0 months; got {t!r}")
        h0 = _cumulative_hazard(self.truth["baseline"], self.truth["baseline_params"], t)
        theta = self.truth["frailty_variance"]
        if marginal and theta > 0:
            return (1.0 + theta * h0) ** (-1.0 / theta)
        return np.exp(-h0)

    def reason_incidence(self, t: Any, *, n_grid: int = 4001) -> pd.DataFrame:
        """True cumulative incidence of each reason for the reference customer (frailty 1).

        ``F_k(t) = int_0^t h_k(u) S(u) du`` with ``S = exp(-sum_k H_k)``, integrated numerically
        (trapezoids on ``n_grid`` points; exact ``share_k (1 - S0(t))`` for proportional reasons).

        Examples
        --------
        >>> base = simulate_customers(10, rng=0)
        >>> inc = base.reason_incidence([24.0])
        >>> round(float(inc.loc[24.0, "price"]), 4)  # 0.35 * (1 - exp(-1))
        0.2212
        """
        return reason_incidence(self.truth, t, n_grid=n_grid)

    def __repr__(self) -> str:
        return (
            f"SimulatedBase({len(self.customers)} customers, baseline="
            f"{self.truth['baseline']!r}, removed by truncation={self.n_removed})"
        )

    def _repr_html_(self) -> str:
        t, df = self.truth, self.customers
        params = ", ".join(f"{k}={v}" for k, v in t["baseline_params"].items())
        summary = {
            "customers returned": f"{len(df):,} of {t['n_simulated']:,} simulated",
            "churned": f"{df['churned'].mean():.1%}" if len(df) else "-",
            "baseline hazard (per month)": f"{t['baseline']} ({params})",
            "frailty variance": t["frailty_variance"],
            "removed by truncation": self.n_removed,
            "reason shares": ", ".join(f"{k} {v:.0%}" for k, v in t["reason_shares"].items()),
        }
        coefs = t["coefficients"].to_frame().assign(hazard_ratio=np.exp(t["coefficients"]))
        return (
            f"<div><strong>SimulatedBase</strong>{_html_table(summary)}"
            f"{coefs.to_html(float_format='{:.3f}'.format)}{df.head().to_html()}</div>"
        )


@dataclass(frozen=True, repr=False)
class SimulatedTransactions:
    """A simulated BG/NBD transaction log and the truth it was drawn from.

    Attributes
    ----------
    transactions : pandas.DataFrame
        ``customer_id``, ``date`` and, when spend was simulated, ``amount``; one row per
        transaction including each customer's first (trial) purchase at ``start``.
    truth : dict
        The generating parameters and per-customer latent values; see
        :func:`simulate_transactions`.

    Examples
    --------
    >>> sim = simulate_transactions(5, r=1.0, alpha=2.0, a=1.0, b=3.0, rng=0)
    >>> sim.truth["latent"].shape[0]
    5
    """

    transactions: pd.DataFrame
    truth: dict[str, Any]

    def __repr__(self) -> str:
        n = self.truth["latent"].shape[0]
        return f"SimulatedTransactions({n} customers, {len(self.transactions)} transactions)"

    def _repr_html_(self) -> str:
        keys = ("r", "alpha", "a", "b", "p", "q", "gamma", "T", "time_unit", "start")
        summary = {k: self.truth[k] for k in keys if self.truth.get(k) is not None}
        return (
            f"<div><strong>{html.escape(repr(self))}</strong>{_html_table(summary)}"
            f"{self.transactions.head().to_html()}</div>"
        )


# -------------------------------------------------------------------------- generators
def simulate_customers(
    n: int = 5000,
    *,
    rng: int | np.random.Generator | None = None,
    signup_start: Any = "2018-01-01",
    signup_end: Any = "2021-12-31",
    cutoff: Any = "2022-12-31",
    observation_start: Any = None,
    baseline: str = "weibull",
    shape: float = 1.2,
    scale: float = 24.0,
    piecewise_rates: Any = None,
    piecewise_breaks: Any = None,
    effects: Mapping[str, float] | None = None,
    frailty_variance: float = 0.0,
    reasons: Mapping[str, float] | None = None,
    reason_effects: Mapping[str, Mapping[str, float]] | None = None,
    reason_shapes: Mapping[str, float] | None = None,
    margin_mean: float = 50.0,
    margin_sd: float = 15.0,
) -> SimulatedBase:
    """Simulate a subscription customer base with known proportional-hazards churn.

    Signup days are uniform over ``[signup_start, signup_end]``; customers get ids in signup
    order. Churn time ``T`` (months) has hazard ``h(t | x, z) = z * h0(t) * exp(x'beta)``:

    * ``h0`` is Weibull, ``S0(t) = exp(-(t / scale) ** shape)``, or piecewise constant with
      ``piecewise_rates[k]`` churns per month between ``piecewise_breaks`` (months);
    * ``x'beta`` uses treatment coding with reference customer plan ``"basic"``, channel
      ``"online"``, not senior, ``monthly_charges`` 70 (entered as ``charges - 70``, which
      changes only the meaning of ``h0``, not the Cox coefficients);
    * ``z`` is gamma frailty with mean 1 and variance ``frailty_variance`` (1 if 0).

    Each churner's reason is drawn with the probabilities ``reasons``: the cause-specific
    hazards are ``share * h``, proportional to the overall hazard. With ``reason_effects`` or
    ``reason_shapes`` the reasons have drivers of their own: reason ``k`` has the cause-specific
    hazard ``z * share_k * h0_k(t) * exp(x'beta + x'gamma_k)`` (``h0_k`` Weibull with the shape
    ``reason_shapes[k]``), each customer's churn time is the first of independent latent times
    drawn from these hazards, and the reason is the one that came first. Churn at
    ``signup_date + T * DAYS_PER_MONTH`` days (``churn_date`` keeps its time of day); customers
    still active at ``cutoff`` (midnight) are censored there. If ``observation_start`` is
    given, customers who churned before it are removed (a snapshot) and ``entry`` holds the
    tenure already reached then (0 for later signups).

    Parameters
    ----------
    n : int
        Customers simulated (before truncation).
    rng : int, numpy.random.Generator or None
        Seed or generator.
    signup_start, signup_end, cutoff, observation_start : date-like
        Signup window (inclusive), censoring date (after ``signup_end``) and optional start of
        observation (before ``cutoff``).
    baseline : {"weibull", "piecewise"}
        Baseline hazard family.
    shape, scale : float
        Weibull shape and scale (months), both > 0.
    piecewise_rates, piecewise_breaks : sequence of float
        Monthly rates (>= 0; a last rate of 0 leaves a never-churning fraction) and the
        ``len(piecewise_rates) - 1`` increasing interior breaks (months).
    effects : mapping, optional
        Log hazard ratios overriding :data:`DEFAULT_EFFECTS` term by term; e.g.
        ``dict.fromkeys(DEFAULT_EFFECTS, 0.0)`` removes all covariate effects.
    frailty_variance : float
        Variance of the gamma frailty (>= 0).
    reasons : mapping, optional
        Reason -> share of the hazard, shares summing to 1; default :data:`DEFAULT_REASONS`.
    reason_effects : mapping, optional
        Reason -> log hazard ratios ``gamma_k`` added to ``effects`` in that reason's
        cause-specific hazard, e.g. ``{"price": {"plan[T.premium]": 0.8}}``.
    reason_shapes : mapping, optional
        Reason -> Weibull shape of its baseline hazard (``baseline="weibull"``; default
        ``shape``): below 1 a reason that strikes early in the tenure, above 1 late.
    margin_mean, margin_sd : float
        Mean (> 0) and sd (>= 0) of the lognormal ``monthly_margin``.

    Returns
    -------
    SimulatedBase
        ``customers`` has ``customer_id``, ``signup_date``, ``churn_date`` (NaT if censored),
        ``tenure`` (months, to churn or to ``cutoff``), ``churned`` (bool), ``reason``
        (categorical, NaN if censored), ``entry`` (snapshot only), the covariates ``plan``,
        ``channel`` (categoricals, reference level first), ``monthly_charges``, ``senior``
        (bool) and ``monthly_margin``. ``truth`` holds ``baseline`` ("weibull"/"piecewise"),
        ``baseline_params``, ``coefficients`` (Series of log-HRs indexed like lifelines'
        ``formula`` terms, e.g. ``plan[T.premium]``), ``reference``, ``frailty_variance``,
        ``reason_shares``, ``reason_hazards`` (with ``reason_effects``/``reason_shapes``: per
        reason its ``share``, ``shape`` and cause-specific ``coefficients``; else None),
        ``margin``, the dates, ``time_unit`` ("month"),
        ``days_per_month``, ``n_simulated`` and ``n_removed_by_truncation``.

    Examples
    --------
    >>> base = simulate_customers(100, rng=42, observation_start="2020-01-01")
    >>> list(base.customers.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['customer_id', 'signup_date', 'churn_date', 'tenure', 'churned', 'reason', 'entry',
     'plan', 'channel', 'monthly_charges', 'senior', 'monthly_margin']
    >>> len(base.customers) + base.n_removed
    100
    >>> bool((base.customers["entry"] <= base.customers["tenure"]).all())
    True
    """
    n = _count("n", n)
    start = _date("signup_start", signup_start)
    end = _date("signup_end", signup_end)
    cut = _date("cutoff", cutoff)
    if end < start:
        raise ValueError(f"signup_end must not be before signup_start; got {end} < {start}")
    if cut <= end:
        raise ValueError(f"cutoff must be after signup_end; got {cut} <= {end}")
    obs = None if observation_start is None else _date("observation_start", observation_start)
    if obs is not None and obs >= cut:
        raise ValueError(f"observation_start must be before cutoff; got {obs} >= {cut}")
    params = _baseline(baseline, shape, scale, piecewise_rates, piecewise_breaks)
    beta = _effects(effects)
    theta = _number("frailty_variance", frailty_variance, allow_zero=True)
    shares = _shares(reasons)
    hazards = reason_hazards(reason_effects, reason_shapes, shares, beta, baseline, params)
    m_mean = _number("margin_mean", margin_mean)
    m_sd = _number("margin_sd", margin_sd, allow_zero=True)

    # Draws, in a fixed order so that a seed fixes the output.
    gen = np.random.default_rng(rng)
    days = np.sort(gen.integers(0, (end - start).days + 1, size=n))
    signup = start + pd.to_timedelta(days, unit="D")
    plan = gen.choice(len(_PLANS), size=n, p=_PLAN_PROBS)
    channel = gen.choice(len(_CHANNELS), size=n, p=_CHANNEL_PROBS)
    senior = gen.random(n) < _SENIOR_PROB
    charges = gen.normal(np.take(_PLAN_MEAN_CHARGES, plan), 12.0).clip(min=5.0).round(2)
    frailty = gen.gamma(1.0 / theta, theta, size=n) if theta > 0 else np.ones(n)
    unit_exp = gen.standard_exponential(n)
    reason = gen.choice(len(shares), size=n, p=list(shares.values()))
    sigma2 = math.log1p((m_sd / m_mean) ** 2)  # lognormal with the requested mean and sd
    margin = gen.lognormal(math.log(m_mean) - sigma2 / 2, math.sqrt(sigma2), size=n)
    latent = gen.standard_exponential((len(shares), n)) if hazards is not None else None

    # Linear predictor x'beta, then invert H(t) = z * exp(x'beta) * H0(t) = Exp(1) draw.
    design = {f"plan[T.{lv}]": plan == i for i, lv in enumerate(_PLANS) if i}
    design |= {f"channel[T.{lv}]": channel == i for i, lv in enumerate(_CHANNELS) if i}
    design |= {"monthly_charges": charges - _REFERENCE["monthly_charges"], "senior": senior}
    eta = sum(coef * np.asarray(design[term], dtype=float) for term, coef in beta.items())
    with np.errstate(divide="ignore", over="ignore"):
        churn_time = _inverse_cumulative_hazard(
            baseline, params, unit_exp / (frailty * np.exp(eta))
        )
    if hazards is not None and latent is not None:
        churn_time, reason = competing_times(latent, design, frailty, hazards, baseline, params)

    month = pd.Timedelta(days=DAYS_PER_MONTH)  # exactly 2,629,746 s
    follow_up = ((cut - signup) / month).to_numpy()
    churned = churn_time <= follow_up
    tenure = np.where(churned, churn_time, follow_up)
    churn_date = signup + _to_timedelta(np.where(churned, churn_time, np.nan), DAYS_PER_MONTH)
    table = {
        "customer_id": [f"C{i:0{len(str(n))}d}" for i in range(1, n + 1)],
        "signup_date": signup,
        "churn_date": churn_date,
        "tenure": tenure,
        "churned": churned,
        "reason": pd.Categorical.from_codes(np.where(churned, reason, -1), list(shares)),
    }
    keep = np.ones(n, dtype=bool)
    if obs is not None:
        keep = ~np.asarray(churn_date < obs)  # NaT compares False: censored are kept
        entry = ((obs - signup) / month).to_numpy().clip(min=0.0)
        table["entry"] = np.minimum(entry, tenure)  # guards only against ns rounding
    table |= {
        "plan": pd.Categorical.from_codes(plan, _PLANS),
        "channel": pd.Categorical.from_codes(channel, _CHANNELS),
        "monthly_charges": charges,
        "senior": senior,
        "monthly_margin": margin,
    }
    customers = pd.DataFrame(table).loc[keep].reset_index(drop=True)
    truth = dict(baseline=baseline, baseline_params=params, coefficients=beta)
    truth |= dict(reference=_REFERENCE.copy(), frailty_variance=theta, reason_shares=shares)
    truth["reason_hazards"] = hazards
    truth |= dict(margin={"distribution": "lognormal", "mean": m_mean, "sd": m_sd})
    truth |= dict(signup_start=start, signup_end=end, cutoff=cut, observation_start=obs)
    truth |= dict(time_unit="month", days_per_month=DAYS_PER_MONTH, n_simulated=n)
    truth["n_removed_by_truncation"] = int(n - keep.sum())
    return SimulatedBase(customers=customers, truth=truth)


def simulate_transactions(
    n: int = 2000,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    p: float | None = None,
    q: float | None = None,
    gamma: float | None = None,
    T: float = 52.0,
    rng: int | np.random.Generator | None = None,
    start: Any = "1997-01-01",
    time_unit: str = "week",
) -> SimulatedTransactions:
    """Simulate a cohort's transaction log from the BG/NBD (and Gamma-Gamma) model.

    Every customer makes a first (trial) purchase at ``start`` (time 0) and is observed for
    ``T`` time units. While alive, repeat purchases arrive as a Poisson process with rate
    ``lambda ~ Gamma(shape=r, rate=alpha)`` (mean ``r / alpha``); after each *repeat* purchase
    the customer drops out with probability ``p_i ~ Beta(a, b)`` (Fader, Hardie & Lee
    2005). With ``p``, ``q`` and ``gamma``, each transaction's value (the trial's too) is
    ``Gamma(shape=p, rate=nu)`` with ``nu ~ Gamma(shape=q, rate=gamma)``, independent of the
    purchase process (Fader, Hardie & Lee 2005, "RFM and CLV"); mean value ``p*gamma/(q-1)``.

    Parameters
    ----------
    n : int
        Number of customers.
    r, alpha, a, b : float
        BG/NBD parameters, all > 0.
    p, q, gamma : float, optional
        Gamma-Gamma spend parameters (> 0), given together or not at all.
    T : float
        Length of the observation period in ``time_unit`` (> 0).
    rng : int, numpy.random.Generator or None
        Seed or generator.
    start : date-like
        Date of the trial purchases.
    time_unit : {"day", "week", "month", "year"}
        Unit of ``T`` and of the rates: 1, 7, 30.436875 or 365.2425 days exactly.

    Returns
    -------
    SimulatedTransactions
        ``truth`` holds the parameters, ``start``, ``end`` (``start + T`` units) and
        ``latent``: a frame indexed by ``customer_id`` with ``lambda``, ``dropout_prob``,
        ``n_repeat`` (repeat purchases in ``(0, T]``), ``alive_at_T`` and, with spend, ``nu``.

    Examples
    --------
    >>> sim = simulate_transactions(50, r=0.24, alpha=4.4, a=0.79, b=2.4, p=6.25, q=3.74,
    ...                             gamma=15.44, T=39.0, rng=7)
    >>> list(sim.transactions.columns)
    ['customer_id', 'date', 'amount']
    >>> int(sim.transactions["customer_id"].nunique())  # everyone has a trial purchase
    50
    >>> len(sim.transactions) == 50 + int(sim.truth["latent"]["n_repeat"].sum())
    True
    """
    n = _count("n", n)
    r, alpha, a, b, T = (_number(k, v) for k, v in dict(r=r, alpha=alpha, a=a, b=b, T=T).items())
    spend = {"p": p, "q": q, "gamma": gamma}
    if any(v is not None for v in spend.values()):
        if any(v is None for v in spend.values()):
            raise ValueError(f"p, q and gamma must be given together or not at all; got {spend}")
        spend = {k: _number(k, v) for k, v in spend.items()}
    unit_days = _UNIT_DAYS[_choice("time_unit", time_unit, _UNIT_DAYS)]
    t0 = _date("start", start)

    gen = np.random.default_rng(rng)
    lam = gen.gamma(r, 1.0 / alpha, size=n)
    dropout = gen.beta(a, b, size=n)
    n_poisson = gen.poisson(lam * T)  # purchases in (0, T] had the customer stayed alive
    # Repeat purchase after which the customer drops out: Geometric(dropout) on {1, 2, ...},
    # by inversion, P(J > k) = (1 - p)^k; inf when dropout underflows to 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        drop_at = np.fmax(np.ceil(np.log1p(-gen.random(n)) / np.log1p(-dropout)), 1.0)
    n_repeat = np.minimum(n_poisson, drop_at).astype(np.int64)

    # Given N Poisson events in (0, T], their times are N sorted uniforms; keep the first x.
    owner = np.repeat(np.arange(n), n_poisson)
    times = gen.uniform(0.0, T, size=owner.size)
    order = np.lexsort((times, owner))
    times = times[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(n_poisson) - n_poisson, n_poisson)
    kept = rank < n_repeat[owner]
    owner = np.concatenate([np.arange(n), owner[kept]])
    times = np.concatenate([np.zeros(n), times[kept]])
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]

    ids = np.array([f"C{i:0{len(str(n))}d}" for i in range(1, n + 1)])
    log = pd.DataFrame({"customer_id": ids[owner], "date": t0 + _to_timedelta(times, unit_days)})
    latent = pd.DataFrame(
        {
            "lambda": lam,
            "dropout_prob": dropout,
            "n_repeat": n_repeat,
            "alive_at_T": drop_at > n_poisson,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    if p is not None and q is not None and gamma is not None:
        nu = gen.gamma(q, 1.0 / gamma, size=n)
        log["amount"] = gen.gamma(p, 1.0 / nu[owner])
        latent["nu"] = nu
    truth = dict(r=r, alpha=alpha, a=a, b=b, **spend, T=T, time_unit=time_unit, start=t0)
    truth |= {"end": t0 + pd.Timedelta(days=T * unit_days), "latent": latent}
    return SimulatedTransactions(transactions=log, truth=truth)
