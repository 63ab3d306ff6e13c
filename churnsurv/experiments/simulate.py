"""A simulated hotel chain testing two retention strategies whose curves cross (issue 15).

Data-generating process of :func:`simulate_hotel` (every number is an argument):

* ``n`` guests (members of the loyalty programme), randomised 1:1 to ``"promotion"`` (price
  discounts) or ``"relationship"`` (service and recognition);
* a value tier: ``"high"`` with probability ``high_share``, else ``"standard"``; margin per
  month is lognormal with median ``margin_median`` (× ``high_multiplier`` for high-value guests);
* churn time (months) with a piecewise-constant hazard: promotion ``promo_rates[0]`` per month
  before ``promo_break`` months and ``promo_rates[1]`` after (the discount holds guests early,
  the price-sensitive leave once it ends); relationship ``relationship_rate`` throughout. The
  survival curves cross at ``t* = (r1 - r0) * b / (r1 - r)``: 10.3 months with the defaults,
  and the RMST curves later (about 17 months);
* follow-up: guests enrolled uniformly over ``enrol_months`` months before a fixed analysis date
  and followed for ``follow_up`` months after the last enrolment (administrative censoring
  only), so follow-up runs from ``follow_up`` to ``follow_up + enrol_months`` months; tenures
  are rounded to 0.1 month (about 3 days, at least 0.1), so they tie as booked stays do;
* win-back: a churned guest ever returns with probability ``return_share[tier]`` (a cure
  model), after an exponential time with mean ``return_mean`` months, observed if before the
  analysis date (``returns``); a returning guest starts a new active spell with monthly churn
  hazard ``repeat_rate[tier]``, and so on until the analysis date (``episodes``, for an
  Andersen–Gill model);
* campaign costs (for net value): ``cost_per_customer`` at enrolment and ``cost_per_period`` per
  month while active, each a mapping arm → money.

The true survival and RMST are in :meth:`HotelSimulation.true_survival` and
:meth:`HotelSimulation.true_rmst`, so estimates can be checked against the truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from churnsurv._typing import ArrayLike, Seed
from churnsurv._validation import check_count
from churnsurv.data import ChurnData, prepare

__all__ = ["HotelSimulation", "simulate_hotel"]

ARMS = ("promotion", "relationship")


def _pw_cumhaz(t: np.ndarray, rates: tuple[float, float], brk: float) -> np.ndarray:
    return rates[0] * np.minimum(t, brk) + rates[1] * np.maximum(t - brk, 0.0)


def _pw_inverse(h: np.ndarray, rates: tuple[float, float], brk: float) -> np.ndarray:
    first = rates[0] * brk
    return np.where(h < first, h / rates[0], brk + (h - first) / rates[1])


def _pw_rmst(tau: float, rates: tuple[float, float], brk: float) -> float:
    """Integral of exp(-H(t)) from 0 to tau for a two-piece constant hazard."""
    a = min(tau, brk)
    out = (1 - np.exp(-rates[0] * a)) / rates[0]
    if tau > brk:
        out += np.exp(-rates[0] * brk) * (1 - np.exp(-rates[1] * (tau - brk))) / rates[1]
    return float(out)


@dataclass
class HotelSimulation:
    """A simulated hotel loyalty experiment: the raw table, the prepared data and the truth.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per guest: ``guest_id``, ``strategy``, ``tier``, ``margin`` (per month),
        ``tenure`` (months), ``churned`` (bool).
    data : ChurnData
        ``frame`` prepared (``strategy`` and ``tier`` as segments, ``margin`` as the margin).
    params : dict
        The arguments of the simulation (hazards, costs, ...).
    returns : pandas.DataFrame
        One row per churned guest (win-back): ``guest_id``, ``tier``, ``strategy``, ``margin``,
        ``months_since_churn`` (time from churn to the analysis date or to the return),
        ``returned`` (bool).
    episodes : pandas.DataFrame
        Repeated stays as counting-process rows: ``episode_id``, ``guest_id``, ``start``,
        ``stop`` (months since enrolment, active spells only; gaps are not at risk),
        ``churned``, ``episode`` (1, 2, ...), ``tier``, ``strategy``.
    """

    frame: pd.DataFrame
    data: ChurnData
    params: dict = field(default_factory=dict)
    returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    episodes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def _rates(self, arm: str) -> tuple[tuple[float, float], float]:
        p = self.params
        if arm == "promotion":
            return tuple(p["promo_rates"]), p["promo_break"]
        return (p["relationship_rate"], p["relationship_rate"]), p["promo_break"]

    def true_survival(self, times: ArrayLike) -> pd.DataFrame:
        """True retention S(t) of each arm.

        Examples
        --------
        >>> sim = simulate_hotel(n=10, rng=0)
        >>> sim.true_survival([0, 6]).round(3).values.tolist()
        [[1.0, 1.0], [0.887, 0.763]]
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        cols = {arm: np.exp(-_pw_cumhaz(t, *self._rates(arm))) for arm in ARMS}
        return pd.DataFrame(cols, index=pd.Index(t, name="time"))

    def true_rmst(self, taus: ArrayLike) -> pd.DataFrame:
        """True RMST of each arm at each horizon.

        Examples
        --------
        >>> simulate_hotel(n=10, rng=0).true_rmst([6]).round(3).values.tolist()
        [[5.654, 5.258]]
        """
        t = np.atleast_1d(np.asarray(taus, dtype=float))
        cols = {arm: [_pw_rmst(float(x), *self._rates(arm)) for x in t] for arm in ARMS}
        return pd.DataFrame(cols, index=pd.Index(t, name="tau"))

    def _repr_html_(self) -> str:
        return "<p>HotelSimulation</p>" + self.frame.head().to_html()

    def __repr__(self) -> str:
        counts = self.frame.groupby("strategy")["churned"].agg(["size", "sum"])
        return f"HotelSimulation: {len(self.frame)} guests\n{counts.to_string()}"


def simulate_hotel(
    n: int = 4000,
    *,
    rng: Seed = None,
    promo_rates: tuple[float, float] = (0.02, 0.08),
    promo_break: float = 6.0,
    relationship_rate: float = 0.045,
    enrol_months: float = 24.0,
    follow_up: float = 12.0,
    high_share: float = 0.25,
    margin_median: float = 60.0,
    high_multiplier: float = 3.0,
    cost_per_customer: Mapping[str, float] | None = None,
    cost_per_period: Mapping[str, float] | None = None,
    return_share: Mapping[str, float] | None = None,
    return_mean: float = 3.0,
    repeat_rate: Mapping[str, float] | None = None,
) -> HotelSimulation:
    """Simulate the hotel chain's two-strategy retention experiment (curves cross).

    See the module docstring for the data-generating process.

    Parameters
    ----------
    n : int, default 4000
        Guests, randomised 1:1.
    rng : int or numpy.random.Generator, optional
        Seed.
    promo_rates : (float, float), default (0.02, 0.08)
        Monthly churn hazard of the promotion arm before and after ``promo_break``.
    promo_break : float, default 6
        Month at which the promotion's discount ends.
    relationship_rate : float, default 0.045
        Monthly churn hazard of the relationship arm.
    enrol_months, follow_up : float
        Enrolment window and the minimum follow-up (months).
    high_share, margin_median, high_multiplier : float
        Share of high-value guests, median monthly margin, and the high tier's multiplier.
    cost_per_customer, cost_per_period : mapping arm -> float, optional
        Campaign costs recorded in ``params`` (defaults: promotion 40 once and 0 per month;
        relationship 10 once and 4 per month while active).
    return_share, return_mean, repeat_rate
        Win-back: share of churned guests who ever return per tier (default high 0.4,
        standard 0.2), mean months to return, and the churn hazard of later spells per tier
        (default high 0.03, standard 0.06).

    Returns
    -------
    HotelSimulation

    Examples
    --------
    >>> sim = simulate_hotel(n=1000, rng=3)
    >>> sim.frame["strategy"].value_counts().sort_index().tolist()
    [500, 500]
    >>> sim.data.n
    1000
    """
    n = check_count(n, name="n", minimum=2)
    gen = np.random.default_rng(rng)
    arm = np.repeat(np.array(ARMS), [n - n // 2, n // 2])
    gen.shuffle(arm)
    high = gen.random(n) < high_share
    margin = (
        margin_median * np.exp(0.3 * gen.standard_normal(n)) * np.where(high, high_multiplier, 1)
    )
    h = gen.exponential(size=n)
    promo = arm == "promotion"
    t = np.where(
        promo,
        _pw_inverse(h, promo_rates, promo_break),
        h / relationship_rate,
    )
    censor = follow_up + gen.uniform(0, enrol_months, n)
    tenure = np.minimum(t, censor)
    frame = pd.DataFrame(
        {
            "guest_id": np.arange(1, n + 1),
            "strategy": arm,
            "tier": np.where(high, "high", "standard"),
            "margin": np.round(margin, 2),
            "tenure": np.round(tenure, 1).clip(0.1),
            "churned": t <= censor,
        }
    )
    data = prepare(
        frame,
        id="guest_id",
        duration="tenure",
        event="churned",
        time_unit="month",
        segments=["strategy", "tier"],
        margin="margin",
    )
    params = {
        "n": n,
        "promo_rates": tuple(promo_rates),
        "promo_break": float(promo_break),
        "relationship_rate": float(relationship_rate),
        "enrol_months": float(enrol_months),
        "follow_up": float(follow_up),
        "high_share": float(high_share),
        "margin_median": float(margin_median),
        "high_multiplier": float(high_multiplier),
        "cost_per_customer": dict(cost_per_customer or {"promotion": 40.0, "relationship": 10.0}),
        "cost_per_period": dict(cost_per_period or {"promotion": 0.0, "relationship": 4.0}),
        "return_share": dict(return_share or {"high": 0.4, "standard": 0.2}),
        "return_mean": float(return_mean),
        "repeat_rate": dict(repeat_rate or {"high": 0.03, "standard": 0.06}),
    }
    returns, episodes = _winback(gen, frame, t, censor, params)
    return HotelSimulation(
        frame=frame, data=data, params=params, returns=returns, episodes=episodes
    )


def _winback(gen, frame, t, censor, params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns of churned guests and the repeated churn/return spells (see the module doc)."""
    tier = frame["tier"].to_numpy()
    share = np.vectorize(params["return_share"].get)(tier)
    repeat = np.vectorize(params["repeat_rate"].get)(tier)
    n = len(frame)
    rows = []
    first_return = np.full(n, np.nan)
    for i in range(n):
        start, stop, k = 0.0, float(t[i]), 1
        while True:
            end = min(stop, censor[i])
            rows.append((i, start, end, stop <= censor[i], k))
            if stop > censor[i] or gen.random() >= share[i]:
                if stop <= censor[i] and k == 1:
                    first_return[i] = np.inf  # never returns
                break
            back = stop + gen.exponential(params["return_mean"])
            if k == 1:
                first_return[i] = back - stop
            if back >= censor[i]:
                break
            start, stop, k = back, back + gen.exponential(1 / repeat[i]), k + 1
    churned = t <= censor
    wait = np.where(np.isfinite(first_return), first_return, np.inf)[churned]
    available = (censor - t)[churned]
    returns = pd.DataFrame(
        {
            "guest_id": frame["guest_id"].to_numpy()[churned],
            "tier": tier[churned],
            "strategy": frame["strategy"].to_numpy()[churned],
            "margin": frame["margin"].to_numpy()[churned],
            "months_since_churn": np.round(np.minimum(wait, available), 1).clip(0.1),
            "returned": wait <= available,
        }
    )
    ep = pd.DataFrame(rows, columns=["row", "start", "stop", "churned", "episode"])
    ep["start"], ep["stop"] = np.round(ep["start"], 2), np.round(ep["stop"], 2)
    ep["stop"] = np.maximum(ep["stop"], ep["start"] + 0.01)  # no empty spell after rounding
    episodes = pd.DataFrame(
        {
            "episode_id": np.arange(1, len(ep) + 1),
            "guest_id": frame["guest_id"].to_numpy()[ep["row"]],
            "start": ep["start"],
            "stop": ep["stop"],
            "churned": ep["churned"],
            "episode": ep["episode"],
            "tier": tier[ep["row"]],
            "strategy": frame["strategy"].to_numpy()[ep["row"]],
        }
    )
    return returns, episodes
