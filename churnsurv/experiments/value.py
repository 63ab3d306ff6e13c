"""Customer value per arm net of the campaign's cost, with bootstrap intervals (issue 15).

For arm ``a`` with Kaplan–Meier retention ``S_a``, mean margin ``m_a`` per period, a cost
``c_a`` per customer (paid once, at enrolment) and ``k_a`` per period while the customer is
active, the expected net value per enrolled customer over ``H`` periods is

.. math:: V_a(H) = \\sum_{t=0}^{H-1} (m_a - k_a)\\, S_a(t)\\, \\delta^t - c_a,

with margins and running costs booked at the start of each period to customers active then (the
``timing="start"`` convention of :func:`churnsurv.clv`) and ``δ^t`` the discount factor of
:func:`churnsurv.clv.discount.discount_factors`. The margin is the arm's mean margin: it assumes a
customer's margin does not depend on how long they stay (state it when it does not hold).

Intervals are percentile bootstrap intervals: customers are resampled within each arm (the
arms are independent samples, as randomised), the curves refitted and every horizon revalued on
the same resample, so the difference's interval and the "certainty" (share of resamples in which
the arm ahead stays ahead) account for the correlation across horizons. A resample whose last
observed tenure falls short of a horizon carries its last Kaplan–Meier value forward.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from churnsurv._render import Result, fmt
from churnsurv._typing import ArrayLike, Seed
from churnsurv._validation import check_conf_level, check_count, check_horizon
from churnsurv.clv.discount import discount_factors
from churnsurv.data import ChurnData
from churnsurv.exceptions import DataValidationError
from churnsurv.experiments.piecewise import two_arms
from churnsurv.km import KaplanMeier

__all__ = ["NetValue", "net_value"]

Cost = float | Mapping[object, float] | None


def _per_arm(cost: Cost, arms: tuple[object, object], name: str) -> dict[object, float]:
    if cost is None:
        return dict.fromkeys(arms, 0.0)
    if isinstance(cost, Mapping):
        unknown = [a for a in cost if a not in arms]
        if unknown:
            raise DataValidationError(
                f"{name}: {unknown} are not arms; the arms are {list(arms)}.",
                column=name,
                rule="unknown arm",
            )
        values = {a: float(cost.get(a, 0.0)) for a in arms}
    else:
        values = dict.fromkeys(arms, float(cost))
    if any(not np.isfinite(v) or v < 0 for v in values.values()):
        raise DataValidationError(
            f"{name}={cost!r}: costs must be finite and >= 0.", column=name, rule="bad cost"
        )
    return values


def _step_at(times: np.ndarray, surv: np.ndarray, grid: np.ndarray) -> np.ndarray:
    i = np.searchsorted(times, grid, side="right") - 1
    return np.where(i < 0, 1.0, surv[np.maximum(i, 0)])


class _Valuer:
    """Net value per arm at whole horizons 1..H from one data set (or a resample)."""

    def __init__(self, arm, arms, margins, per_customer, per_period, disc):
        self.arm, self.arms = arm, arms
        self.margins, self.c, self.k, self.disc = margins, per_customer, per_period, disc

    def values(self, data: ChurnData) -> np.ndarray:
        """Array (2 arms × H horizons) of the expected net value per enrolled customer."""
        km = KaplanMeier().fit(data, by=self.arm)
        curves = km.curves_
        grid = np.arange(self.disc.size, dtype=float)
        out = []
        for a in self.arms:
            rows = curves[curves["segment"] == str(a)]
            s = _step_at(rows["time"].to_numpy(), rows["survival"].to_numpy(), grid)
            flows = (self.margins[a] - self.k[a]) * s * self.disc
            out.append(np.cumsum(flows) - self.c[a])
        return np.vstack(out)


class NetValue(Result):
    """Net value per arm and horizon, their difference, and where one arm overtakes the other.

    Attributes
    ----------
    summary : pandas.DataFrame
        Per horizon (index ``horizon``): ``value_<arm>`` for each arm with its ``ci_lower_<arm>``
        / ``ci_upper_<arm>``, ``difference`` (treated − reference) with ``ci_lower`` /
        ``ci_upper``, ``winner`` and ``certainty`` (share of bootstrap resamples in which the
        winner is ahead).
    curve : pandas.DataFrame
        The same for every whole horizon 1..max(horizons).
    overtake_horizon : float or None
        The first whole horizon from which the treated arm's net value stays above the
        reference's through the last horizon (None if it never does; 1 if it is ahead
        throughout).
    reference, treated : object
    """

    _title = "Net value per arm"

    def __init__(self, curve, horizons, reference, treated, conf_level, n_boot) -> None:
        self.curve = curve
        self.summary = curve.loc[horizons]
        self.reference, self.treated = reference, treated
        self.conf_level, self.n_boot = conf_level, n_boot
        ahead = curve["difference"].to_numpy() > 0
        behind = np.nonzero(~ahead)[0]
        if behind.size == 0:
            self.overtake_horizon: float | None = float(curve.index[0])
        elif behind[-1] + 1 < len(ahead):
            self.overtake_horizon = float(curve.index[behind[-1] + 1])
        else:
            self.overtake_horizon = None

    def _note(self) -> str:
        when = "never" if self.overtake_horizon is None else fmt(self.overtake_horizon)
        return (
            f"{self.treated!r} overtakes {self.reference!r} from horizon {when}; percentile "
            f"bootstrap intervals ({self.n_boot} resamples within arms) at conf_level "
            f"{fmt(self.conf_level)}."
        )


def net_value(
    data: ChurnData,
    arm: str = "strategy",
    *,
    horizons: ArrayLike,
    margin: float | str | None = None,
    cost_per_customer: Cost = None,
    cost_per_period: Cost = None,
    annual_discount_rate: float = 0.0,
    reference: object = None,
    n_boot: int = 200,
    conf_level: float = 0.95,
    rng: Seed = None,
) -> NetValue:
    """Expected customer value per arm net of the campaign's cost, with bootstrap intervals.

    Parameters
    ----------
    data : ChurnData
        One row per customer with the ``arm`` column carried.
    arm : str, default "strategy"
        Column with exactly two values.
    horizons : array-like of int
        Whole numbers of periods to value (each within both arms' follow-up).
    margin : float or str, optional
        Margin per period: a constant or a column (its mean per arm is used); default
        ``data.margin``.
    cost_per_customer, cost_per_period : float or mapping arm -> float, optional
        The campaign's cost per enrolled customer (once) and per period while active.
    annual_discount_rate : float, default 0
    reference : scalar, optional
        The reference arm (default: the first in sorted order).
    n_boot : int, default 200
    conf_level : float, default 0.95
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    NetValue

    Examples
    --------
    >>> import churnsurv as cs
    >>> sim = cs.simulate_hotel(n=2000, rng=7)
    >>> nv = cs.net_value(sim.data, horizons=[6, 30], reference="promotion",
    ...                   cost_per_customer={"promotion": 40, "relationship": 10},
    ...                   cost_per_period={"relationship": 4}, n_boot=50, rng=1)
    >>> nv.summary["winner"].tolist()
    ['promotion', 'relationship']
    >>> 6 < nv.overtake_horizon < 30
    True
    """
    conf_level = check_conf_level(conf_level)
    n_boot = check_count(n_boot, name="n_boot", minimum=2)
    reference, treated = two_arms(data, arm, reference)
    arms = (reference, treated)
    hs = sorted({check_horizon(h, name="horizons") for h in np.atleast_1d(horizons).tolist()})
    last = max(hs)
    KaplanMeier().fit(data, by=arm).survival_at([last - 1])  # refuses a horizon past follow-up
    if margin is None:
        margin = data.margin
    if margin is None:
        raise DataValidationError(
            "margin= is needed: a constant or a column (prepare(..., margin=COLUMN) sets a "
            "default).",
            column="margin",
            rule="no margin",
        )
    groups = data.frame[arm].to_numpy()
    if isinstance(margin, str):
        data.require_columns([margin], purpose="net value", numeric=True)
        col = data.frame[margin].to_numpy(dtype=float)
        margins = {a: float(col[groups == a].mean()) for a in arms}
    else:
        margins = dict.fromkeys(arms, float(margin))
    disc = discount_factors(
        np.arange(last), annual_discount_rate=annual_discount_rate, time_unit=data.time_unit
    )
    valuer = _Valuer(
        arm,
        arms,
        margins,
        _per_arm(cost_per_customer, arms, "cost_per_customer"),
        _per_arm(cost_per_period, arms, "cost_per_period"),
        disc,
    )
    point = valuer.values(data)
    gen = np.random.default_rng(rng)
    positions = [np.nonzero(groups == a)[0] for a in arms]
    boot = np.empty((n_boot, 2, last))
    for b in range(n_boot):
        sample = np.concatenate([gen.choice(p, size=p.size, replace=True) for p in positions])
        boot[b] = valuer.values(data.take(sample))
    lo_q, hi_q = (1 - conf_level) / 2, 1 - (1 - conf_level) / 2
    diff = point[1] - point[0]
    boot_diff = boot[:, 1] - boot[:, 0]
    ahead = np.where(diff > 0, (boot_diff > 0).mean(axis=0), (boot_diff < 0).mean(axis=0))
    curve = pd.DataFrame(index=pd.Index(np.arange(1, last + 1, dtype=float), name="horizon"))
    for i, a in enumerate(arms):
        curve[f"value_{a}"] = point[i]
        curve[f"ci_lower_{a}"] = np.quantile(boot[:, i], lo_q, axis=0)
        curve[f"ci_upper_{a}"] = np.quantile(boot[:, i], hi_q, axis=0)
    curve["difference"] = diff
    curve["ci_lower"] = np.quantile(boot_diff, lo_q, axis=0)
    curve["ci_upper"] = np.quantile(boot_diff, hi_q, axis=0)
    curve["winner"] = [treated if d > 0 else reference if d < 0 else "tie" for d in diff]
    curve["certainty"] = ahead
    curve.attrs["conf_level"] = conf_level
    return NetValue(curve, [float(h) for h in hs], reference, treated, conf_level, n_boot)
