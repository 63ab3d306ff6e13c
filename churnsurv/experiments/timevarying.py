"""A continuous time interaction of an arm: R's ``coxph(... ~ arm + tt(arm), tt = ...)``.

The step version (:func:`~churnsurv.experiments.piecewise.piecewise_hazard_ratios`) gives one
hazard ratio per tenure interval; this one lets the log hazard ratio move smoothly with tenure,
``log HR(t) = b_arm + b_tt * g(t)`` with ``g = log`` (R's usual ``x * log(t)``) or ``g(t) = t``.
A Cox partial likelihood only looks at covariates at event times, so R fits ``tt()`` by splitting
every customer's follow-up at each distinct event time and giving the arm term the value
``treated * g(stop)`` on each episode; that is what this module does, through
:func:`~churnsurv.experiments.piecewise.split_episodes`, :func:`churnsurv.prepare_panel` and
:class:`churnsurv.CoxModel`, so the risk sets (and entry times) are churnsurv's usual ones.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from churnsurv._render import Result, fmt
from churnsurv._typing import ArrayLike
from churnsurv._validation import check_choice, check_conf_level, z_quantile
from churnsurv.data import ChurnData, prepare_panel
from churnsurv.exceptions import DataValidationError
from churnsurv.experiments.piecewise import split_episodes, two_arms
from churnsurv.regression import CoxModel

__all__ = ["TimeVaryingHazardRatio", "time_varying_hazard_ratio"]

#: Transforms of tenure for the interaction term, by name (R writes them as ``tt`` functions).
TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "log": np.log,
    "linear": lambda t: np.asarray(t, dtype=float),
}

#: Episodes the split may create before the fit is refused (each is a row of the Cox fit).
MAX_EPISODES = 20_000_000


class TimeVaryingHazardRatio(Result):
    """A Cox fit with a continuous time interaction of the arm (from
    :func:`time_varying_hazard_ratio`).

    Attributes
    ----------
    summary : pandas.DataFrame
        The two coefficients (``arm`` and ``arm x g(t)``) in CoxModel's columns.
    model : CoxModel
        The fit on the split episodes.
    arm, reference, treated, transform : str / object
        The comparison (``treated`` vs ``reference``) and ``g``.
    n_episodes : int
        Rows of the split data the model was fitted on.

    Examples
    --------
    >>> import churnsurv as cs
    >>> res = cs.time_varying_hazard_ratio(cs.simulate_hotel(n=300, rng=2).data)
    >>> res.summary.index.tolist()
    ['arm', 'arm x log(t)']
    """

    _title = "Hazard ratio over tenure (continuous time interaction)"

    def __init__(self, model, arm, reference, treated, transform, n_episodes, conf_level):
        self.model = model
        self.arm = arm
        self.reference = reference
        self.treated = treated
        self.transform = transform
        self.n_episodes = n_episodes
        self.conf_level = conf_level
        cols = ["log_hr", "std_err", "hr", "hr_lower", "hr_upper", "z", "p_value"]
        self.summary = model.summary[cols].set_axis(["arm", f"arm x {self._g_name}"], axis=0)

    @property
    def _g_name(self) -> str:
        return "log(t)" if self.transform == "log" else "t"

    def hazard_ratio(self, times: ArrayLike) -> pd.DataFrame:
        """The hazard ratio ``exp(b_arm + b_tt g(t))`` at given tenures, with pointwise limits.

        Parameters
        ----------
        times : array-like
            Tenures (> 0 for the log transform).

        Returns
        -------
        pandas.DataFrame
            ``time``, ``log_hr``, ``std_err``, ``hr``, ``hr_lower``, ``hr_upper`` (Wald limits at
            the fit's ``conf_level`` from the 2 × 2 covariance of the coefficients).

        Examples
        --------
        >>> import churnsurv as cs
        >>> res = cs.time_varying_hazard_ratio(cs.simulate_hotel(n=300, rng=2).data)
        >>> res.hazard_ratio([3, 24])["time"].tolist()
        [3.0, 24.0]
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        if not np.all(np.isfinite(t)) or (self.transform == "log" and np.any(t <= 0)):
            raise DataValidationError(
                f"times={t.tolist()[:5]} must be finite tenures"
                + (" > 0 (the interaction is in log t)." if self.transform == "log" else "."),
                column="times",
                rule="bad tenures",
            )
        b = self.model.params_.to_numpy()
        v = self.model.variance_matrix_.to_numpy()
        g = TRANSFORMS[self.transform](t)
        log_hr = b[0] + b[1] * g
        se = np.sqrt(v[0, 0] + g**2 * v[1, 1] + 2 * g * v[0, 1])
        z = z_quantile(self.conf_level)
        return pd.DataFrame(
            {
                "time": t,
                "log_hr": log_hr,
                "std_err": se,
                "hr": np.exp(log_hr),
                "hr_lower": np.exp(log_hr - z * se),
                "hr_upper": np.exp(log_hr + z * se),
            }
        )

    def crossing_time(self) -> float:
        """The tenure at which the hazard ratio crosses 1 (``nan`` when it never does).

        Examples
        --------
        >>> import churnsurv as cs
        >>> res = cs.time_varying_hazard_ratio(cs.simulate_hotel(n=2000, rng=2).data)
        >>> 0 < res.crossing_time() < 24
        True
        """
        b0, b1 = self.model.params_.to_numpy()
        if b1 == 0:
            return float("nan")
        g = -b0 / b1
        t = float(np.exp(g)) if self.transform == "log" else g
        return t if t > 0 else float("nan")

    def _note(self) -> str:
        return (
            f"log HR of {self.treated!r} vs {self.reference!r} = b_arm + b_tt * "
            f"{self._g_name}; fitted on {self.n_episodes} episodes split at every event time "
            f"(R coxph tt()); HR crosses 1 at tenure {fmt(self.crossing_time())}; intervals at "
            f"conf_level {fmt(self.conf_level)}."
        )


def _event_times(data: ChurnData, transform: str) -> np.ndarray:
    times = np.unique(data.durations[data.events])
    if times.size == 0:
        raise DataValidationError(
            "no churn events: a hazard ratio over tenure cannot be estimated.",
            column="event",
            rule="no events",
        )
    if times[0] <= 0:
        raise DataValidationError(
            f"{int(np.sum(data.durations[data.events] <= 0))} churn event(s) at tenure 0: "
            f"g(t) = {transform}(t) is not defined there and a Cox risk set at 0 is empty; "
            "record those customers' tenure as a positive time.",
            column="duration",
            rule="event at tenure 0",
        )
    return times


def time_varying_hazard_ratio(
    data: ChurnData,
    arm: str = "strategy",
    *,
    transform: str = "log",
    reference: object = None,
    ties: str = "efron",
    conf_level: float = 0.95,
) -> TimeVaryingHazardRatio:
    """Hazard ratio of one arm that changes smoothly with tenure: R's ``tt()`` interaction.

    Fits ``coxph(Surv(time, status) ~ arm + tt(arm), tt = function(x, t, ...) x * g(t))``:
    ``log HR(t) = b_arm + b_tt * g(t)``, with ``g = log`` or ``g(t) = t``. The follow-up of every
    customer is split at each distinct event time (as R does internally), so the fit has one row
    per customer and event time at risk; entry times are respected. A significant ``b_tt`` says
    the arm's effect changes over tenure, and :meth:`TimeVaryingHazardRatio.crossing_time` says
    when the hazard ratio crosses 1 (curves that cross, as in the hotel case).

    Parameters
    ----------
    data : ChurnData
        One row per customer with the ``arm`` column carried.
    arm : str, default "strategy"
        Column with exactly two values.
    transform : {"log", "linear"}, default "log"
        ``g``: ``log(t)`` (R's common choice) or ``t``.
    reference : scalar, optional
        The reference arm (default: the first value in sorted order).
    ties : {"efron", "breslow"}, default "efron"
    conf_level : float, default 0.95

    Returns
    -------
    TimeVaryingHazardRatio

    Raises
    ------
    DataValidationError
        Not two arms, no events, an event at tenure 0, or a split larger than
        ``MAX_EPISODES`` rows (use the step version,
        :func:`~churnsurv.experiments.piecewise.piecewise_hazard_ratios`, or round tenures).

    Notes
    -----
    Agrees with R ``survival`` 3.5 ``coxph(... + tt(promo))`` to 1e-7 in coefficients and
    covariance, for both ties and with entry times (``tests/reference/coxph_tt.R``).

    Examples
    --------
    >>> import churnsurv as cs
    >>> sim = cs.simulate_hotel(n=2000, rng=2)
    >>> res = cs.time_varying_hazard_ratio(sim.data, reference="relationship")
    >>> hr = res.hazard_ratio([2, 30])["hr"]
    >>> bool(hr.iloc[0] < 1 < hr.iloc[1])   # promotion holds early, loses late
    True
    """
    check_choice("transform", transform, tuple(TRANSFORMS))
    check_choice("ties", ties, ("efron", "breslow"))
    check_conf_level(conf_level)
    data.require_customer_rows(purpose="time_varying_hazard_ratio")
    reference, treated = two_arms(data, arm, reference)
    times = _event_times(data, transform)
    t0 = data.entries if data.has_entry else np.zeros_like(data.durations)
    # episodes per customer: 1 + event times in (entry, tenure)
    cuts_inside = np.searchsorted(times, data.durations, side="left")
    cuts_inside -= np.searchsorted(times, t0, side="right")
    n_episodes = int(np.sum(cuts_inside)) + data.durations.size
    if n_episodes > MAX_EPISODES:
        raise DataValidationError(
            f"splitting at {times.size} distinct event times gives about {n_episodes} episodes "
            f"(limit {MAX_EPISODES}); use piecewise_hazard_ratios (a step interaction) or "
            "round tenures to fewer distinct times.",
            column="duration",
            rule="too many episodes",
        )
    last = float(data.durations.max())
    cuts = times[times < last]
    # no event before the last tenure: one episode per customer (a cut past every tenure)
    episodes = split_episodes(data, cuts if cuts.size else [2.0 * last + 1.0])
    treated_mask = (episodes[arm] == treated).to_numpy(dtype=float)
    panel = episodes[["id", "start", "stop", "event"]].copy()
    panel["arm"] = treated_mask
    panel["arm_tt"] = treated_mask * TRANSFORMS[transform](episodes["stop"].to_numpy())
    pdata = prepare_panel(
        panel, id="id", start="start", stop="stop", event="event", time_unit=data.time_unit
    )
    model = CoxModel("arm + arm_tt", ties=ties, conf_level=conf_level).fit(pdata)
    return TimeVaryingHazardRatio(model, arm, reference, treated, transform, len(panel), conf_level)
