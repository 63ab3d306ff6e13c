"""Planning a retention experiment: events, customers and power (issue 15).

Hazard ratio (proportional hazards), two arms with ``ratio`` treated customers per reference
customer, two-sided test at level ``significance``, ``z_a = z(1 - significance / 2)``,
``z_b = z(power)``:

* **Schoenfeld** (1983): events needed ``D = (z_a + z_b)^2 / (p (1 - p) log(HR)^2)`` with
  ``p = ratio / (1 + ratio)`` the treated share;
* **Freedman** (1982): ``D = (z_a + z_b)^2 (1 + ratio HR)^2 / (ratio (1 - HR)^2)``, the formula
  of lifelines' ``sample_size_necessary_under_cph`` and ``power_under_cph``.

Customers needed = events / expected share who churn within the follow-up, per arm:
``n_reference = D / (ratio p_treated + p_reference)``, ``n_treated = ratio n_reference``
(lifelines' convention, rounded up). :func:`churn_within_follow_up` gives that share the
Lachin–Foulkes way: customers enrol uniformly over ``accrual`` periods and are followed until
``follow_up`` periods after the last enrolment, so ``P(churn) = 1 - (1/a) ∫_f^{a+f} S(t) dt``.

For an RMST difference there is no closed form worth trusting when curves cross:
:func:`rmst_power` simulates the design (piecewise-exponential churn per arm, uniform
enrolment, administrative censoring) and counts how often the z-test of the RMST difference
(R's RMST standard error) rejects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import integrate, stats

from churnsurv._render import Result, fmt
from churnsurv._typing import ArrayLike, Seed
from churnsurv._validation import check_conf_level, check_count
from churnsurv.exceptions import DataValidationError
from churnsurv.km.counts import count_tables, product_limit, restricted_mean

__all__ = [
    "PowerPlan",
    "RMSTPower",
    "churn_within_follow_up",
    "events_needed",
    "power_hazard_ratio",
    "rmst_power",
    "sample_size",
]

_METHODS = ("schoenfeld", "freedman")


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise DataValidationError(f"{name}={value!r} must be > 0.", column=name, rule="not > 0")
    return v


def _probability(name: str, value: float) -> float:
    v = float(value)
    if not 0 < v < 1:
        raise DataValidationError(
            f"{name}={value!r} must be strictly between 0 and 1.", column=name, rule="not in (0, 1)"
        )
    return v


def _check(hazard_ratio, power, significance, ratio, method):
    hr = _positive("hazard_ratio", hazard_ratio)
    if hr == 1:
        raise DataValidationError(
            "hazard_ratio=1: no difference to detect; give the smallest hazard ratio worth "
            "detecting.",
            column="hazard_ratio",
            rule="hazard ratio 1",
        )
    if method not in _METHODS:
        raise DataValidationError(
            f"method={method!r}: use one of {list(_METHODS)}.", column="method", rule="bad choice"
        )
    sig = _probability("significance", significance)
    pw = _probability("power", power) if power is not None else None
    return hr, pw, sig, _positive("ratio", ratio)


def _events(hr: float, power: float, significance: float, ratio: float, method: str) -> float:
    zz = (stats.norm.ppf(1 - significance / 2) + stats.norm.ppf(power)) ** 2
    if method == "schoenfeld":
        p = ratio / (1 + ratio)
        return float(zz / (p * (1 - p) * np.log(hr) ** 2))
    return float(zz * (1 + ratio * hr) ** 2 / (ratio * (1 - hr) ** 2))


def events_needed(
    hazard_ratio: float,
    *,
    power: float = 0.8,
    significance: float = 0.05,
    ratio: float = 1.0,
    method: str = "schoenfeld",
) -> int:
    """Churn events needed to detect a hazard ratio with a two-sided test.

    Parameters
    ----------
    hazard_ratio : float
        Treated over reference, the smallest worth detecting.
    power : float, default 0.8
    significance : float, default 0.05
        Two-sided level of the test.
    ratio : float, default 1
        Treated customers per reference customer.
    method : {"schoenfeld", "freedman"}, default "schoenfeld"

    Returns
    -------
    int
        Events, rounded up.

    Examples
    --------
    >>> events_needed(0.7)
    247
    >>> events_needed(0.7, method="freedman")
    253
    """
    hr, pw, sig, k = _check(hazard_ratio, power, significance, ratio, method)
    return int(np.ceil(_events(hr, pw, sig, k, method)))


def churn_within_follow_up(
    survival: float | Callable[[np.ndarray], np.ndarray],
    *,
    accrual: float,
    follow_up: float,
) -> float:
    """Share of customers who churn during the study: uniform enrolment, fixed analysis date.

    Customers enrol uniformly over ``accrual`` periods and are analysed ``follow_up`` periods
    after the last enrolment, so a customer is followed between ``follow_up`` and
    ``accrual + follow_up`` periods and ``P(churn) = 1 - (1/a) ∫_f^{a+f} S(t) dt`` (Lachin and
    Foulkes 1986; with ``accrual=0`` it is ``1 - S(follow_up)``).

    Parameters
    ----------
    survival : float or callable
        A constant churn hazard per period, or a function ``S(t)`` of an array of tenures.
    accrual, follow_up : float
        Enrolment period and minimum follow-up (periods; ``accrual`` may be 0).

    Returns
    -------
    float

    Examples
    --------
    >>> round(churn_within_follow_up(0.05, accrual=12, follow_up=12), 4)
    0.5873
    >>> round(churn_within_follow_up(0.05, accrual=0, follow_up=12), 4)
    0.4512
    """
    f = _positive("follow_up", follow_up)
    a = float(accrual)
    if not np.isfinite(a) or a < 0:
        raise DataValidationError(
            f"accrual={accrual!r} must be >= 0.", column="accrual", rule="negative"
        )
    if callable(survival):
        s = survival
    else:
        rate = _positive("survival", survival)

        def s(t):
            return np.exp(-rate * np.asarray(t, dtype=float))

    if a == 0:
        return float(1 - np.asarray(s(np.array([f])))[0])
    mean_s, _ = integrate.quad(lambda t: float(np.asarray(s(np.array([t])))[0]), f, a + f)
    return float(1 - mean_s / a)


class PowerPlan(Result):
    """Events, customers and power of a planned two-arm retention test (one-row summary)."""

    _title = "Retention experiment plan (hazard ratio)"

    def __init__(self, summary: pd.DataFrame) -> None:
        self.summary = summary

    def __getitem__(self, key: str):
        return self.summary[key].iloc[0]


def sample_size(
    hazard_ratio: float,
    *,
    churn_probability: float | Sequence[float],
    power: float = 0.8,
    significance: float = 0.05,
    ratio: float = 1.0,
    method: str = "freedman",
) -> PowerPlan:
    """Customers needed to detect a hazard ratio, given the churn expected within follow-up.

    Parameters
    ----------
    hazard_ratio : float
        Treated over reference.
    churn_probability : float or (float, float)
        Share of reference customers who churn during the study (e.g. from
        :func:`churn_within_follow_up`); with one value the treated share follows from
        proportional hazards, ``1 - (1 - p)^HR``; or the pair (reference, treated).
    power, significance, ratio, method
        As in :func:`events_needed` (``method`` defaults to Freedman, lifelines' formula).

    Returns
    -------
    PowerPlan
        ``summary`` columns ``method``, ``hazard_ratio``, ``power``, ``significance``,
        ``ratio``, ``events``, ``p_reference``, ``p_treated``, ``n_reference``, ``n_treated``,
        ``n_total``.

    Examples
    --------
    >>> plan = sample_size(0.7, churn_probability=(0.35, 0.25))
    >>> int(plan["n_reference"]), int(plan["n_treated"])
    (421, 421)
    """
    hr, pw, sig, k = _check(hazard_ratio, power, significance, ratio, method)
    p0, p1 = _churn_pair(churn_probability, hr)
    d = _events(hr, pw, sig, k, method)
    n0 = int(np.ceil(d / (k * p1 + p0)))
    n1 = int(np.ceil(d * k / (k * p1 + p0)))
    summary = pd.DataFrame(
        {
            "method": [method],
            "hazard_ratio": [hr],
            "power": [pw],
            "significance": [sig],
            "ratio": [k],
            "events": [int(np.ceil(d))],
            "p_reference": [p0],
            "p_treated": [p1],
            "n_reference": [n0],
            "n_treated": [n1],
            "n_total": [n0 + n1],
        }
    )
    return PowerPlan(summary)


def _churn_pair(churn_probability, hr: float) -> tuple[float, float]:
    p = np.atleast_1d(np.asarray(churn_probability, dtype=float))
    if p.size == 1:
        p0 = _probability("churn_probability", p[0])
        return p0, float(1 - (1 - p0) ** hr)
    if p.size != 2:
        raise DataValidationError(
            "churn_probability: give one value (reference arm) or two (reference, treated).",
            column="churn_probability",
            rule="bad length",
        )
    return _probability("churn_probability", p[0]), _probability("churn_probability", p[1])


def power_hazard_ratio(
    hazard_ratio: float,
    *,
    n_reference: int,
    n_treated: int,
    churn_probability: float | Sequence[float],
    significance: float = 0.05,
    method: str = "freedman",
) -> float:
    """Power of the two-sided test of a hazard ratio with the given customers per arm.

    The inverse of :func:`sample_size`; with ``method="freedman"`` it is lifelines'
    ``power_under_cph``.

    Examples
    --------
    >>> round(power_hazard_ratio(0.7, n_reference=421, n_treated=421,
    ...                          churn_probability=(0.35, 0.25)), 3)
    0.8
    """
    n0 = check_count(n_reference, name="n_reference")
    n1 = check_count(n_treated, name="n_treated")
    hr, _, sig, k = _check(hazard_ratio, None, significance, n1 / n0, method)
    p0, p1 = _churn_pair(churn_probability, hr)
    d = n1 * p1 + n0 * p0
    za = stats.norm.ppf(1 - sig / 2)
    if method == "schoenfeld":
        share = k / (1 + k)
        return float(stats.norm.cdf(np.sqrt(d * share * (1 - share)) * abs(np.log(hr)) - za))
    return float(stats.norm.cdf(np.sqrt(k * d) * abs(hr - 1) / (k * hr + 1) - za))


# ------------------------------------------------------------------------------------------
# RMST power by simulation
# ------------------------------------------------------------------------------------------
class RMSTPower(Result):
    """Simulated power of the RMST-difference test, per number of customers per arm."""

    _title = "Power of the RMST difference (simulation)"

    def __init__(self, summary: pd.DataFrame, note: str) -> None:
        self.summary = summary
        self._text = note

    def _note(self) -> str:
        return self._text


def _pw_draw(gen, n: int, rates: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Times with piecewise-constant hazard ``rates`` on ``[0, b1), [b1, b2), ...``."""
    e = gen.exponential(size=n)
    edges = np.concatenate([[0.0], breaks])
    cum = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(edges))])
    k = np.searchsorted(cum, e, side="right") - 1
    return edges[k] + (e - cum[k]) / rates[k]


def _pw_survival(t: np.ndarray, rates: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    edges = np.concatenate([[0.0], breaks, [np.inf]])
    widths = np.clip(np.asarray(t, dtype=float)[..., None] - edges[:-1], 0, np.diff(edges))
    return np.exp(-(widths * rates).sum(axis=-1))


def rmst_power(
    tau: float,
    n_per_arm: int | Sequence[int],
    *,
    rates: Mapping[str, ArrayLike],
    breaks: ArrayLike = (),
    accrual: float = 0.0,
    follow_up: float,
    n_sim: int = 500,
    significance: float = 0.05,
    conf_level: float = 0.95,
    rng: Seed = None,
) -> RMSTPower:
    """Power of the two-sided z-test of an RMST difference at ``tau``, by simulation.

    Each simulated trial draws ``n_per_arm`` customers per arm with piecewise-constant churn
    hazards, enrols them uniformly over ``accrual`` periods, censors them at the analysis
    date ``follow_up`` periods after the last enrolment, and tests the Kaplan–Meier RMST
    difference with R's standard error (the arithmetic of
    :meth:`churnsurv.KaplanMeier.rmst_difference`).

    Parameters
    ----------
    tau : float
        RMST horizon; at most ``follow_up`` (every customer is followed that long).
    n_per_arm : int or list of int
    rates : mapping arm -> list of float
        Two arms, each with one hazard per interval of ``breaks`` (``len(breaks) + 1``
        values).
    breaks : array-like, default ()
        Increasing tenures where the hazards change.
    accrual, follow_up : float
        As in :func:`churn_within_follow_up`.
    n_sim : int, default 500
    significance : float, default 0.05
    conf_level : float, default 0.95
        Level of the binomial (Wilson) interval of the simulated power.
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    RMSTPower
        ``summary`` per ``n_per_arm``: ``power``, ``ci_lower``, ``ci_upper``,
        ``true_difference`` (second arm minus first), ``mean_difference``, ``n_sim``.

    Examples
    --------
    >>> res = rmst_power(12, [100, 400], rates={"promotion": [0.02, 0.08],
    ...                  "relationship": [0.045, 0.045]}, breaks=[6], follow_up=12,
    ...                  n_sim=100, rng=1)
    >>> res.summary.index.tolist(), bool(res.summary["power"].is_monotonic_increasing)
    ([100, 400], True)
    """
    tau = _positive("tau", tau)
    f = _positive("follow_up", follow_up)
    if tau > f:
        raise DataValidationError(
            f"tau={tau!r} > follow_up={follow_up!r}: every customer must be followed to tau.",
            column="tau",
            rule="tau beyond follow-up",
        )
    n_sim = check_count(n_sim, name="n_sim", minimum=2)
    sig = _probability("significance", significance)
    conf_level = check_conf_level(conf_level)
    if len(rates) != 2:
        raise DataValidationError("rates: give exactly two arms.", column="rates", rule="arms")
    b = np.atleast_1d(np.asarray(breaks, dtype=float))
    arms = list(rates)
    r = [np.asarray(rates[a], dtype=float) for a in arms]
    if any(x.size != b.size + 1 or np.any(x <= 0) for x in r):
        raise DataValidationError(
            f"rates: each arm needs {b.size + 1} positive hazards (one per interval of breaks).",
            column="rates",
            rule="bad rates",
        )
    sizes = [check_count(n, name="n_per_arm", minimum=2) for n in np.atleast_1d(n_per_arm)]
    gen = np.random.default_rng(rng)
    true = [integrate.quad(lambda t, x=x: float(_pw_survival(t, x, b)), 0, tau)[0] for x in r]
    z = stats.norm.ppf(1 - sig / 2)
    rows = []
    for n in sizes:
        rejections, diffs = 0, []
        for _ in range(n_sim):
            t = np.concatenate([_pw_draw(gen, n, x, b) for x in r])
            c = f + gen.uniform(0, accrual, 2 * n) if accrual > 0 else np.full(2 * n, f)
            # KaplanMeier.rmst's arithmetic on the count tables (no data frame per trial)
            tables = count_tables(np.minimum(t, c), t <= c, np.repeat([0, 1], n), 2)
            (m0, s0), (m1, s1) = (restricted_mean(product_limit(ct), tau) for ct in tables)
            diffs.append(m1 - m0)
            rejections += bool(abs(m1 - m0) / np.hypot(s0, s1) > z)
        lo, hi = _wilson(rejections, n_sim, conf_level)
        rows.append(
            {
                "power": rejections / n_sim,
                "ci_lower": lo,
                "ci_upper": hi,
                "true_difference": true[1] - true[0],
                "mean_difference": float(np.mean(diffs)),
                "n_sim": n_sim,
            }
        )
    summary = pd.DataFrame(rows, index=pd.Index(sizes, name="n_per_arm"))
    note = (
        f"{arms[1]!r} minus {arms[0]!r} at tau = {fmt(tau)}; two-sided z-test at "
        f"{fmt(sig)}; Wilson intervals at {fmt(conf_level)}."
    )
    return RMSTPower(summary, note)


def _wilson(k: int, n: int, conf_level: float) -> tuple[float, float]:
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return float(centre - half), float(centre + half)
