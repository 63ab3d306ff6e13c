"""Read a two-arm retention experiment honestly, also when the retention curves cross.

:func:`compare_arms` puts side by side what a statistician checks before saying which retention
strategy works: the Kaplan–Meier curve of each arm with its at-risk table; the log-rank test
(most power under proportional hazards) and a Fleming–Harrington test; the restricted mean
survival time (RMST, expected active months within a horizon τ) per arm with the difference and
the ratio between arms at several horizons; the hazard ratio per tenure interval (a step time
interaction, :func:`~churnsurv.experiments.piecewise.piecewise_hazard_ratios`) beside the single
proportional-hazards ratio; and a decision table per horizon.

When the curves cross, a single hazard ratio averages an early benefit and a late harm into a
number that describes neither, and the log-rank test can miss the difference; the RMST
difference at the planning horizon stays interpretable (months of retention gained per customer).

Standard errors
---------------
The RMST standard error of each arm is R's ``print(survfit(...), rmean=tau)`` one
(:meth:`churnsurv.KaplanMeier.rmst`); arms are independent samples, so the difference has
``SE = sqrt(SE_1^2 + SE_0^2)`` and the ratio is built on the log scale by the delta method,
``SE(log ratio) = sqrt((SE_1 / RMST_1)^2 + (SE_0 / RMST_0)^2)``, as survRM2's ``rmst2``. The
retention difference at a horizon uses Greenwood's standard errors the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._render import Result, fmt
from churnsurv._typing import ArrayLike, Seed
from churnsurv._validation import check_conf_level, check_horizon, z_quantile
from churnsurv.data import ChurnData, prepare
from churnsurv.exceptions import DataValidationError
from churnsurv.experiments.piecewise import check_cuts, piecewise_hazard_ratios, two_arms
from churnsurv.experiments.value import Cost, NetValue, net_value
from churnsurv.km import KaplanMeier, logrank
from churnsurv.regression import CoxModel

__all__ = ["ArmComparison", "compare_arms"]


def _horizons(horizons: ArrayLike) -> np.ndarray:
    values = np.atleast_1d(np.asarray(horizons, dtype=object))
    if values.size == 0:
        raise DataValidationError("horizons=[]: give at least one horizon.", column="horizons")
    checked = [check_horizon(h, name="horizons", whole=False) for h in values]
    return np.unique(np.asarray(checked, dtype=float))


def _certainty(diff: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Phi(|difference| / SE): the one-sided confidence that the winner is really ahead."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, stats.norm.cdf(np.abs(diff) / se), np.where(diff != 0, 1.0, 0.5))


class ArmComparison(Result):
    """The result of :func:`compare_arms`.

    Attributes
    ----------
    summary : pandas.DataFrame
        The decision table (same as :attr:`decision`).
    km : KaplanMeier
        Fitted per arm (``by=arm``).
    at_risk : pandas.DataFrame
        Customers at risk per arm at 0 and each horizon.
    tests : pandas.DataFrame
        Log-rank and Fleming–Harrington tests: ``test``, ``statistic``, ``df``, ``p_value``.
    rmst : pandas.DataFrame
        RMST per arm and horizon: ``arm``, ``tau``, ``rmst``, ``std_err``, ``ci_lower``,
        ``ci_upper``.
    rmst_contrast : pandas.DataFrame
        Per horizon: ``difference`` (treated − reference), ``std_err``, ``ci_lower``,
        ``ci_upper``, ``p_value``, ``ratio`` (treated / reference), ``ratio_lower``,
        ``ratio_upper``.
    hazard_ratios : pandas.DataFrame
        Hazard ratio of the treated arm per tenure interval
        (:func:`~churnsurv.experiments.piecewise.piecewise_hazard_ratios`).
    hazard_ratio : pandas.DataFrame
        The single proportional-hazards ratio (one row), for contrast.
    decision : pandas.DataFrame
        Per horizon: the arm ahead on retention S(τ) and on RMST(τ), the differences and the
        certainty Φ(|difference| / SE) (one-sided normal confidence that the winner is ahead;
        0.975 is a two-sided 95% interval excluding 0).
    value : NetValue or None
        Net value per arm and horizon, when a margin or a cost was given.
    reference, treated : object
        The two arm values; differences and ratios are treated − / ÷ reference.
    """

    _title = "Two-arm retention experiment"
    km: KaplanMeier
    at_risk: pd.DataFrame
    tests: pd.DataFrame
    rmst: pd.DataFrame
    rmst_contrast: pd.DataFrame
    hazard_ratios: pd.DataFrame
    hazard_ratio: pd.DataFrame
    decision: pd.DataFrame
    value: NetValue | None
    reference: object
    treated: object
    arm: str
    conf_level: float
    horizons: np.ndarray

    def __init__(self, **parts: object) -> None:
        for name, value in parts.items():
            setattr(self, name, value)

    @property
    def summary(self) -> pd.DataFrame:
        return self.decision

    def rmst_curve(self, taus: ArrayLike | None = None) -> pd.DataFrame:
        """RMST difference (treated − reference) over a grid of horizons, with a pointwise band.

        Parameters
        ----------
        taus : array-like, optional
            Horizons (default: 50 points up to the shorter follow-up of the two arms).

        Returns
        -------
        pandas.DataFrame
            ``tau``, ``difference``, ``std_err``, ``ci_lower``, ``ci_upper`` (pointwise, at the
            comparison's ``conf_level``).

        Examples
        --------
        >>> import churnsurv as cs
        >>> res = cs.compare_arms(cs.simulate_hotel(n=400, rng=1).data, horizons=[12])
        >>> curve = res.rmst_curve([3, 6, 12])
        >>> curve["tau"].tolist(), bool((curve["ci_lower"] < curve["ci_upper"]).all())
        ([3.0, 6.0, 12.0], True)
        """
        km = self.km
        if taus is None:
            last = km.curves_.groupby("segment")["time"].max().min()
            taus = np.linspace(last / 50, last, 50)
        grid = np.atleast_1d(np.asarray(taus, dtype=float))
        rows = [km.rmst_difference(float(t), reference=str(self.reference)).iloc[0] for t in grid]
        frame = pd.DataFrame(rows)[["tau", "difference", "std_err", "ci_lower", "ci_upper"]]
        return frame.reset_index(drop=True)

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("Decision per horizon", self.decision),
            ("RMST difference and ratio", self.rmst_contrast),
            ("Tests", self.tests),
            ("Hazard ratio per tenure interval", self.hazard_ratios),
            ("Single (proportional-hazards) hazard ratio", self.hazard_ratio),
            ("At risk", self.at_risk),
        ] + ([("Net value per arm", self.value.summary)] if self.value is not None else [])

    def _note(self) -> str:
        return (
            f"treated arm {self.treated!r} vs reference {self.reference!r}; "
            f"intervals at conf_level {fmt(self.conf_level)}; certainty = "
            "Phi(|difference| / SE)."
        )


def compare_arms(
    data: ChurnData,
    arm: str = "strategy",
    *,
    horizons: ArrayLike,
    reference: object = None,
    cuts: ArrayLike | None = None,
    fh: Sequence[float] = (0.0, 1.0),
    margin: float | str | None = None,
    cost_per_customer: Cost = None,
    cost_per_period: Cost = None,
    annual_discount_rate: float = 0.0,
    n_boot: int = 200,
    rng: Seed = None,
    conf_level: float = 0.95,
) -> ArmComparison:
    """Compare the retention of two arms (strategies, campaigns) over several horizons.

    Parameters
    ----------
    data : ChurnData
        One row per customer, with the ``arm`` column carried (``prepare(covariates=[arm])`` or
        ``segments=arm``).
    arm : str, default "strategy"
        Column with exactly two values.
    horizons : array-like
        Planning horizons τ (in the data's time unit), each within both arms' follow-up.
    reference : scalar, optional
        The reference arm (default: the first value in sorted order); differences are the
        other ("treated") arm minus the reference, hazard ratios treated over reference.
    cuts : array-like, optional
        Tenures cutting the follow-up into intervals for the hazard ratio per interval
        (default: the horizons except the largest; the first horizon alone if only one).
    fh : (p, q), default (0, 1)
        Exponents of the Fleming–Harrington test ``S(t-)^p (1 - S(t-))^q``; the default (0, 1)
        weights late churn, where a promotion's effect fades. (1, 0) is R's
        ``survdiff(rho = 1)``, which weights early churn.
    margin, cost_per_customer, cost_per_period, annual_discount_rate, n_boot, rng
        When ``margin`` or a cost is given, the net value per arm is computed by
        :func:`~churnsurv.experiments.value.net_value` (horizons must then be whole periods;
        ``margin`` defaults to ``data.margin``) and the decision table gains ``net_winner``,
        ``net_difference`` and ``net_certainty`` (share of bootstrap resamples in which the
        winner is ahead).
    conf_level : float, default 0.95

    Returns
    -------
    ArmComparison

    Examples
    --------
    >>> import churnsurv as cs
    >>> hotel = cs.simulate_hotel(n=2000, rng=7)
    >>> res = cs.compare_arms(hotel.data, horizons=[6, 24], reference="promotion")
    >>> res.decision[["horizon", "rmst_winner"]].values.tolist()
    [[6.0, 'promotion'], [24.0, 'relationship']]
    >>> res.hazard_ratios.index.tolist()
    ['(0, 6]', '(6, inf)']
    """
    conf_level = check_conf_level(conf_level)
    if len(fh) != 2 or not all(np.isfinite(x) and x >= 0 for x in fh):
        raise DataValidationError(
            f"fh={fh!r} must be two exponents (p, q) >= 0.", column="fh", rule="bad exponents"
        )
    reference, treated = two_arms(data, arm, reference)
    taus = _horizons(horizons)
    cut_points = check_cuts(taus[:-1] if len(taus) > 1 else taus[:1]) if cuts is None else cuts
    km = KaplanMeier(conf_level=conf_level).fit(data, by=arm)
    ref_label = str(reference)
    labels = {str(reference): reference, str(treated): treated}
    z = z_quantile(conf_level)

    rmst = pd.concat([km.rmst(t) for t in taus]).reset_index()
    rmst = rmst.rename(columns={"segment": "arm"})
    rmst["arm"] = rmst["arm"].map(labels)
    contrast = pd.concat([km.rmst_difference(t, reference=ref_label) for t in taus])
    r1 = rmst[rmst["arm"] == treated].set_index("tau")
    r0 = rmst[rmst["arm"] == reference].set_index("tau")
    log_ratio = np.log(r1["rmst"] / r0["rmst"]).to_numpy()
    se_log = np.sqrt(
        (r1["std_err"] / r1["rmst"]) ** 2 + (r0["std_err"] / r0["rmst"]) ** 2
    ).to_numpy()
    contrast = contrast.drop(columns=["reference"]).set_index("tau")
    contrast["ratio"] = np.exp(log_ratio)
    contrast["ratio_lower"] = np.exp(log_ratio - z * se_log)
    contrast["ratio_upper"] = np.exp(log_ratio + z * se_log)
    contrast.attrs["conf_level"] = conf_level

    tests = pd.concat(
        [
            logrank(data, arm).summary,
            logrank(data, arm, weighting="fleming-harrington", p=fh[0], q=fh[1]).summary,
        ],
        ignore_index=True,
    )[["test", "statistic", "df", "p_value"]]

    hazard_ratios = piecewise_hazard_ratios(
        data, arm, cut_points, reference=reference, conf_level=conf_level
    )
    single = _single_hazard_ratio(data, arm, reference, treated, conf_level)
    surv = km.survival_at(taus)
    s1 = surv[surv["segment"] == str(treated)].set_index("time")
    s0 = surv[surv["segment"] == ref_label].set_index("time")
    decision = _decision(s1, s0, contrast, reference, treated)
    value = None
    if margin is not None or cost_per_customer is not None or cost_per_period is not None:
        value = net_value(
            data,
            arm,
            horizons=taus,
            margin=margin,
            cost_per_customer=cost_per_customer,
            cost_per_period=cost_per_period,
            annual_discount_rate=annual_discount_rate,
            reference=reference,
            n_boot=n_boot,
            conf_level=conf_level,
            rng=rng,
        )
        v = value.summary
        decision["net_winner"] = v["winner"].to_numpy()
        decision["net_difference"] = v["difference"].to_numpy()
        decision["net_certainty"] = v["certainty"].to_numpy()
    at_risk = km.at_risk(np.concatenate([[0.0], taus]))
    return ArmComparison(
        km=km,
        at_risk=at_risk,
        tests=tests,
        rmst=rmst,
        rmst_contrast=contrast,
        hazard_ratios=hazard_ratios,
        hazard_ratio=single,
        decision=decision,
        value=value,
        reference=reference,
        treated=treated,
        arm=arm,
        conf_level=conf_level,
        horizons=taus,
    )


def _single_hazard_ratio(
    data: ChurnData, arm: str, reference: object, treated: object, conf_level: float
) -> pd.DataFrame:
    frame = data.frame
    indicator = "treated"
    # a 0/1 indicator keeps the coefficient's direction whatever the reference's sort order
    raw = pd.DataFrame(
        {
            "duration": data.durations,
            "event": data.events,
            indicator: (frame[arm] == treated).to_numpy().astype(float),
        }
    )
    entry = None
    if data.has_entry:
        raw["entry"], entry = data.entries, "entry"
    d = prepare(raw, duration="duration", event="event", entry=entry, time_unit=data.time_unit)
    cox = CoxModel(indicator, conf_level=conf_level).fit(d)
    out = cox.summary[["log_hr", "std_err", "hr", "hr_lower", "hr_upper", "p_value"]].copy()
    out.index = pd.Index([f"{treated} vs {reference}"], name="term")
    return out


def _decision(s1, s0, contrast, reference, treated) -> pd.DataFrame:
    taus = contrast.index.to_numpy()
    ds = (s1["survival"] - s0["survival"]).to_numpy()
    se_s = np.sqrt(s1["std_err"] ** 2 + s0["std_err"] ** 2).to_numpy()
    dr = contrast["difference"].to_numpy()
    se_r = contrast["std_err"].to_numpy()

    def winner(d):
        return np.where(d > 0, treated, np.where(d < 0, reference, "tie"))

    return pd.DataFrame(
        {
            "horizon": taus,
            "retention_winner": winner(ds),
            "retention_difference": ds,
            "retention_certainty": _certainty(ds, se_s),
            "rmst_winner": winner(dr),
            "rmst_difference": dr,
            "rmst_certainty": _certainty(dr, se_r),
        }
    )
