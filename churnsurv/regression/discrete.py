"""Discrete-time hazard models of periodic churn: :class:`DiscreteTimeHazard`.

The classic model of monthly churn: each customer contributes one Bernoulli trial per period
survived ("did the customer churn in period j, having reached it?"), with

    g(h_j(x)) = alpha_j + x'beta,   g = logit  or  g = cloglog = log(-log(1 - h)),

a free baseline ``alpha_j`` per period (Allison, *Sociological Methodology* 13, 1982;
Singer & Willett, *Applied Longitudinal Data Analysis*, 2003, ch. 10–12). With the
complementary log-log link ``exp(beta)`` is the hazard ratio of the grouped-time
proportional-hazards model (Prentice & Gloeckler, *Biometrics* 34, 1978); with the logit it
is an odds ratio of churning in a period.

It scales: the likelihood depends on the person-period data only through the number at risk
and the number churned per (covariate pattern, period). The model is fitted by statsmodels
``GLM`` (binomial family) on those aggregated rows with ``freq_weights`` — exactly the fit on
one row per customer-period (tested), so ten million customers cost the same as their few
thousand distinct patterns. With an :class:`~churnsurv.EventChurn` the counts come from the
engine (DuckDB / Spark).

A period in which nobody at risk churns has baseline hazard 0 (its ``alpha_j`` is ``-inf``);
its rows carry no information about ``beta`` and are left out of the GLM (and a period in
which everyone churns, hazard 1, likewise); ``baseline_hazard_`` shows them with hazard 0 (1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._render import FittedModel, fmt
from churnsurv._validation import check_choice, check_conf_level, check_is_fitted, z_quantile
from churnsurv.data import ChurnData
from churnsurv.events.result import EventChurn
from churnsurv.regression.design import Design

__all__ = ["DiscreteTimeHazard", "person_period_counts"]

_LINKS = ("cloglog", "logit")


def _periods(durations: np.ndarray, width: float) -> np.ndarray:
    """Period of each exit: ``ceil(duration / width)``, at least 1 (an exit at 0 is period 1)."""
    k = np.ceil(np.round(durations / width, 9)).astype(np.int64)
    return np.maximum(k, 1)


def person_period_counts(
    frame: pd.DataFrame, columns: list[str], width: float, count: str | None = None
) -> pd.DataFrame:
    """At risk and churned per (covariate pattern, period) without expanding customer-periods.

    ``frame`` holds ``duration``, ``event``, the ``columns`` and optionally a ``count`` column
    (customers per row). Period ``j`` covers tenure ``((j - 1) * width, j * width]``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"duration": [1.0, 3.0, 2.5], "event": [True, False, True]})
    >>> person_period_counts(f, [], 1.0)[["period", "at_risk", "events"]].values.tolist()
    [[1, 3, 1], [2, 2, 0], [3, 2, 1]]
    """
    k = _periods(frame["duration"].to_numpy(dtype=float), width)
    n = frame[count].to_numpy(dtype=np.int64) if count else np.ones(len(frame), dtype=np.int64)
    exits = pd.DataFrame({c: frame[c].to_numpy() for c in columns})
    exits["k"], exits["event"], exits["n"] = k, frame["event"].to_numpy(dtype=bool), n
    keys = columns + ["k"]
    by_exit = exits.groupby(keys, sort=True, observed=True)
    left = by_exit["n"].sum().rename("left")
    churned = exits[exits["event"]].groupby(keys, sort=True, observed=True)["n"].sum()
    per = pd.concat([left, churned.rename("events")], axis=1).fillna(0).reset_index()
    k_max = int(k.max())
    rows = []
    for pattern, g in per.groupby(columns, sort=True, observed=True) if columns else [((), per)]:
        left_at = np.bincount(g["k"], weights=g["left"], minlength=k_max + 1)[1:]
        events = np.bincount(g["k"], weights=g["events"], minlength=k_max + 1)[1:]
        at_risk = np.cumsum(left_at[::-1])[::-1]
        keep = at_risk > 0
        block = pd.DataFrame(
            {
                "period": np.arange(1, k_max + 1)[keep],
                "at_risk": at_risk[keep].astype(np.int64),
                "events": events[keep].astype(np.int64),
            }
        )
        values = pattern if isinstance(pattern, tuple) else (pattern,)
        for c, v in zip(columns, values, strict=True):
            block.insert(len(block.columns) - 3, c, v)
        rows.append(block)
    return pd.concat(rows, ignore_index=True)


class DiscreteTimeHazard(FittedModel):
    """Discrete-time hazard model (logit or complementary log-log) of churn per period.

    Parameters
    ----------
    formula : str, optional
        Right-hand side of the covariates (``"Contract + MonthlyCharges"``); none: baseline
        hazard only.
    link : {"cloglog", "logit"}, default "cloglog"
        ``cloglog``: grouped-time proportional hazards (``hr`` = hazard ratio); ``logit``: the
        logistic model (``odds_ratio``).
    width : float, default 1.0
        Period length in the data's time unit (1 month for monthly churn).
    conf_level : float, default 0.95

    Attributes
    ----------
    params_ : pandas.Series
        Period intercepts ``period[j]`` and covariate coefficients.
    baseline_hazard_ : pandas.DataFrame
        Per period: at risk, churned, observed hazard and the model's hazard at covariates 0
        (at the reference levels).
    person_period_ : pandas.DataFrame
        The aggregated person-period table the GLM was fitted on.
    log_likelihood_, n_, n_events_

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes", time_unit="month")
    >>> m = DiscreteTimeHazard("Contract", width=12).fit(data)
    >>> m.summary["hr"].round(3).tolist()  # hazard ratios vs month-to-month
    [0.125, 0.022]
    """

    _title = "Discrete-time hazard model"
    _fitted_attribute = "params_"

    def __init__(
        self,
        formula: str | None = None,
        *,
        link: str = "cloglog",
        width: float = 1.0,
        conf_level: float = 0.95,
    ) -> None:
        check_choice("link", link, _LINKS)
        if not (np.isfinite(width) and width > 0):
            raise ValueError(f"width={width!r}: the period length must be a positive number.")
        self.formula = formula
        self.link = link
        self.width = float(width)
        self.conf_level = check_conf_level(conf_level)

    def __repr__(self) -> str:
        return (
            f"DiscreteTimeHazard(formula={self.formula!r}, link={self.link!r}, "
            f"width={fmt(self.width)}, conf_level={self.conf_level})"
        )

    def _counts(self, data: ChurnData | EventChurn) -> tuple[pd.DataFrame, list[str], str]:
        variables = Design(self.formula).variables if self.formula else []
        if isinstance(data, EventChurn):
            frame = data.counts().rename(columns={"churned": "event"})
            missing = [v for v in variables if v not in frame.columns]
            if missing:
                raise ValueError(
                    f"formula variable(s) {missing}: from an event log only the segments "
                    f"{data.segments} are available; use result.to_data() for other columns."
                )
            return (
                person_period_counts(frame, variables, self.width, "n"),
                variables,
                data.time_unit,
            )
        data.require_customer_rows(purpose="a discrete-time hazard model")
        if variables:
            data.require_columns(variables, purpose="the formula")
        frame = data.frame[["duration", "event", *variables]]
        return person_period_counts(frame, variables, self.width), variables, data.time_unit

    def fit(self, data: ChurnData | EventChurn) -> DiscreteTimeHazard:
        """Fit by binomial GLM with frequency weights on the person-period counts.

        Parameters
        ----------
        data : ChurnData or EventChurn
            Customers (one row each), or the result of :func:`churnsurv.churn_from_events`
            (counts computed in the engine; the formula may use its segments).

        Returns
        -------
        DiscreteTimeHazard
            self, fitted.
        """
        import statsmodels.api as sm

        pp, variables, time_unit = self._counts(data)
        informative = pp.groupby("period")["events"].transform("sum")
        at_risk_p = pp.groupby("period")["at_risk"].transform("sum")
        use = pp[(informative > 0) & (informative < at_risk_p)].reset_index(drop=True)
        y = np.r_[np.ones(len(use)), np.zeros(len(use))]
        w = np.r_[use["events"], use["at_risk"] - use["events"]].astype(float)
        periods = np.sort(use["period"].unique())
        dummies = (use["period"].to_numpy()[:, None] == periods[None, :]).astype(float)
        x = pd.DataFrame(dummies, columns=[f"period[{p}]" for p in periods])
        self.design_ = None
        if self.formula:
            self.design_ = Design(self.formula)
            cov = self.design_.fit_transform(use[variables], purpose="a discrete-time model")
            x = pd.concat([x, cov.reset_index(drop=True)], axis=1)
        exog = pd.concat([x, x], ignore_index=True)
        keep = w > 0
        link = sm.families.links.CLogLog() if self.link == "cloglog" else sm.families.links.Logit()
        glm = sm.GLM(y[keep], exog[keep], family=sm.families.Binomial(link), freq_weights=w[keep])
        res = glm.fit(tol=1e-12, maxiter=100)
        self.result_ = res
        self.params_ = pd.Series(res.params, index=exog.columns)
        self.std_err_ = pd.Series(res.bse, index=exog.columns)
        self.log_likelihood_ = float(res.llf)
        self.n_ = int(pp.loc[pp["period"] == 1, "at_risk"].sum())
        self.n_events_ = int(pp["events"].sum())
        self.person_period_ = pp
        self.time_unit_ = time_unit
        self._baseline(pp, periods)
        self.fit_params_: dict = {}
        return self

    def _baseline(self, pp: pd.DataFrame, periods: np.ndarray) -> None:
        tot = pp.groupby("period")[["at_risk", "events"]].sum()
        eta = pd.Series([self.params_[f"period[{p}]"] for p in periods], index=periods)
        inv = (lambda e: 1 - np.exp(-np.exp(e))) if self.link == "cloglog" else stats.logistic.cdf
        model = pd.Series(np.where(tot["events"] > 0, 1.0, 0.0), index=tot.index)
        model.loc[periods] = inv(eta.to_numpy())
        out = tot.reset_index()
        out.insert(1, "start", (out["period"] - 1) * self.width)
        out.insert(2, "end", out["period"] * self.width)
        out["observed_hazard"] = out["events"] / out["at_risk"]
        out["hazard"] = model.to_numpy()
        self.baseline_hazard_ = out

    @property
    def summary(self) -> pd.DataFrame:
        """Covariate effects: estimate, std_err, z, p_value, CI, and hr (or odds_ratio)."""
        check_is_fitted(self, "params_")
        names = [c for c in self.params_.index if not c.startswith("period[")]
        est, se = self.params_[names], self.std_err_[names]
        z = est / se
        q = z_quantile(self.conf_level)
        ratio = "hr" if self.link == "cloglog" else "odds_ratio"
        labels = [self.design_.label(n) for n in names] if self.design_ else names
        out = pd.DataFrame(
            {
                "estimate": est.to_numpy(),
                "std_err": se.to_numpy(),
                "z": z.to_numpy(),
                "p_value": 2 * stats.norm.sf(np.abs(z.to_numpy())),
                "ci_lower": (est - q * se).to_numpy(),
                "ci_upper": (est + q * se).to_numpy(),
                ratio: np.exp(est.to_numpy()),
            },
            index=pd.Index(labels, name="term"),
        )
        out.attrs["conf_level"] = self.conf_level
        return out

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("Covariate effects", self.summary),
            (
                f"Baseline hazard per period ({fmt(self.width)} {self.time_unit_})",
                self.baseline_hazard_,
            ),
        ]

    def _note(self) -> str:
        return (
            f"{self.link} link; {self.n_} customers, {self.n_events_} churned; fitted by "
            "statsmodels GLM with frequency weights on person-period counts."
        )
