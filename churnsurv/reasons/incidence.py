"""Cumulative incidence of each churn reason (Aalen–Johansen), overall or per segment.

Reasons compete: a customer who left for a competitor can no longer leave because of price.
Treating one reason as the event and the others as censoring and reporting ``1 - Kaplan-Meier``
answers a question about a world where the other reasons do not exist, and overstates every
reason's probability; the cumulative incidence ``F_k(t)`` — the share of customers who have
left *for reason k* by tenure ``t`` — is the probability that actually happens, and the
incidences of all reasons plus the share still active add to 1 at every tenure.

:class:`CumulativeIncidence` estimates ``F_k(t)`` with the Aalen–Johansen estimator (the
nonparametric estimator R's ``cmprsk::cuminc`` and ``survival::survfit`` compute), with
``cmprsk``'s variance, pointwise confidence intervals, at-risk counts and Gray's test between
segments (:func:`~churnsurv.reasons.gray_test`). Tied times are handled deterministically (all
churns at a time leave together, censorings at that time are at risk for them), as in R; the
counting is one pass over the customers (:mod:`~churnsurv.reasons.counts`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._render import FittedModel, fmt
from churnsurv._typing import ArrayLike, Axes, Columns
from churnsurv._validation import (
    as_list,
    check_choice,
    check_conf_level,
    check_is_fitted,
    check_segment_levels,
    z_quantile,
)
from churnsurv.data import ChurnData
from churnsurv.km.counts import group_codes
from churnsurv.km.estimator import DEFAULT_HORIZONS
from churnsurv.reasons.counts import aalen_johansen, reason_tables
from churnsurv.reasons.gray import GrayTestResult, gray_test

__all__ = ["CumulativeIncidence", "incidence_band"]

_CONF_TYPES = ("log-log", "log", "plain")


def incidence_band(
    incidence: np.ndarray, std_err: np.ndarray, z: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence limits for a cumulative incidence ``F`` with standard error ``σ``.

    ``"log-log"``: ``F ** exp(±z σ / (F log F))``, the interval of ``log(-log F)`` transformed
    back (Choudhury 2002; Stata's ``stcompet``), always inside (0, 1); ``"log"``:
    ``F exp(±z σ / F)`` with the upper limit capped at 1; ``"plain"``: ``F ± z σ`` clipped to
    [0, 1]. Where ``F = 0`` (no churn for the reason yet) both limits are 0.

    Examples
    --------
    >>> lo, hi = incidence_band(np.array([0.0, 0.2]), np.array([0.0, 0.05]), 1.96, "log-log")
    >>> np.round(lo, 4).tolist(), np.round(hi, 4).tolist()
    ([0.0, 0.1128], [0.0, 0.3051])
    """
    f = np.asarray(incidence, dtype=float)
    se = np.asarray(std_err, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log-log":
            g = z * se / (f * np.log(f))  # negative for 0 < F < 1
            lower, upper = f ** np.exp(-g), f ** np.exp(g)
        elif conf_type == "log":
            lower, upper = f * np.exp(-z * se / f), np.minimum(f * np.exp(z * se / f), 1.0)
        else:
            lower, upper = np.clip(f - z * se, 0.0, 1.0), np.clip(f + z * se, 0.0, 1.0)
    zero = f <= 0
    lower = np.where(zero, 0.0, np.where(f >= 1, np.nan, lower))
    upper = np.where(zero, 0.0, np.where(f >= 1, np.nan, upper))
    return lower, upper


class CumulativeIncidence(FittedModel):
    """Cumulative incidence of each churn reason (Aalen–Johansen), overall or per segment.

    Parameters
    ----------
    conf_level : float, default 0.95
        Confidence level of the pointwise intervals.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        Transformation of the intervals (see :func:`incidence_band`). ``cmprsk::cuminc`` gives
        variances but no intervals; ``"log-log"`` is the usual choice for an incidence (it
        stays inside (0, 1)).

    Attributes
    ----------
    curves_ : pandas.DataFrame
        One row per segment, reason and distinct exit time of the segment: ``segment, reason,
        time, at_risk, events`` (churns for this reason), ``censored``, ``incidence``,
        ``std_err`` (square root of ``cmprsk::cuminc``'s variance; R ``survfit`` reports the
        infinitesimal-jackknife standard error instead, which differs slightly), ``ci_lower,
        ci_upper``.
    survival_ : pandas.DataFrame
        The share still active: ``segment, time, at_risk, events`` (for any reason),
        ``censored, survival`` (Kaplan–Meier of churn for any reason).
    reasons_ : list
        The reasons, in the data's order.
    segment_values_ : pandas.DataFrame
        The ``by`` values of each segment, indexed by segment label.
    empty_segments_ : list of str
        Categories of categorical ``by`` columns with no customers (not fitted).
    time_unit_ : str

    Examples
    --------
    >>> import churnsurv as cs
    >>> base = cs.simulate_customers(2000, rng=1)
    >>> data = cs.prepare(base.customers, id="customer_id", duration="tenure",
    ...                   event="churned", reason="reason")
    >>> ci = cs.CumulativeIncidence().fit(data)
    >>> ci.incidence_at([12])[["reason", "incidence"]].round(3).values.tolist()
    [['price', 0.11], ['service', 0.064], ['competitor', 0.082], ['payment_failure', 0.044]]
    """

    _title = "Cumulative incidence by reason"
    _fitted_attribute = "curves_"

    def __init__(self, conf_level: float = 0.95, conf_type: str = "log-log") -> None:
        self.conf_level = check_conf_level(conf_level)
        check_choice("conf_type", conf_type, _CONF_TYPES)
        self.conf_type = conf_type

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, data: ChurnData, *, by: Columns = None) -> CumulativeIncidence:
        """Estimate every reason's cumulative incidence, per segment.

        Parameters
        ----------
        data : ChurnData
            From :func:`churnsurv.prepare` with ``reason=``. Entry times (left truncation) are
            used with R's risk sets ``(entry, exit]``, as in :class:`~churnsurv.KaplanMeier`.
        by : str or list of str, optional
            Segment column(s); one set of curves per combination of values.

        Returns
        -------
        CumulativeIncidence
            self, fitted.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"t": [1, 2, 2, 3, 4],
        ...                     "why": ["price", "card", None, "price", None]})
        >>> ci = CumulativeIncidence().fit(cs.prepare(raw, duration="t", reason="why"))
        >>> ci.curves_.query("reason == 'price'")["incidence"].round(3).tolist()
        [0.2, 0.2, 0.5, 0.5]
        """
        data.require_reasons(purpose="CumulativeIncidence")
        data.require_customer_rows(purpose="CumulativeIncidence")
        by_cols = as_list(by)
        if by_cols:
            data.require_columns(by_cols, purpose="cumulative incidence by segment")
            check_segment_levels(data.frame, by_cols)
        codes, values, labels, empty = group_codes(data.frame, by_cols)
        reasons = list(data.reasons or [])
        tables = reason_tables(
            data.durations,
            data.reason_codes,
            len(reasons),
            codes,
            len(labels),
            data.entries if data.has_entry else None,
        )
        z = z_quantile(self.conf_level)
        self._fits: dict[str, dict[str, np.ndarray]] = {}
        self._tables = {}
        frames, surv = [], []
        for label, tab in zip(labels, tables, strict=True):
            aj = aalen_johansen(tab)
            aj["std_err"] = np.sqrt(aj["variance"])
            aj["ci_lower"], aj["ci_upper"] = incidence_band(
                aj["incidence"], aj["std_err"], z, self.conf_type
            )
            self._fits[label], self._tables[label] = aj, tab
            for k, reason in enumerate(reasons):
                frames.append(
                    pd.DataFrame(
                        {
                            "segment": label,
                            "reason": reason,
                            "time": aj["time"],
                            "at_risk": aj["at_risk"],
                            "events": aj["events"][:, k],
                            "censored": aj["censored"],
                            "incidence": aj["incidence"][:, k],
                            "std_err": aj["std_err"][:, k],
                            "ci_lower": aj["ci_lower"][:, k],
                            "ci_upper": aj["ci_upper"][:, k],
                        }
                    )
                )
            surv.append(
                pd.DataFrame(
                    {
                        "segment": label,
                        "time": aj["time"],
                        "at_risk": aj["at_risk"],
                        "events": aj["events"].sum(axis=1),
                        "censored": aj["censored"],
                        "survival": aj["survival"],
                    }
                )
            )
        self.curves_ = pd.concat(frames, ignore_index=True)
        self.survival_ = pd.concat(surv, ignore_index=True)
        self.reasons_ = reasons
        self.segment_values_ = values.set_index(pd.Index(labels, name="segment"))
        self.empty_segments_ = empty
        self._sizes = dict(zip(labels, data.group_sizes(codes, len(labels)).tolist(), strict=True))
        self.time_unit_ = data.time_unit
        self.by_ = by_cols
        self.data_ = data
        self.fit_params_ = {"by": by}
        return self

    def _check_fitted(self) -> None:
        check_is_fitted(self, "curves_")

    def _beyond(self, label: str, t: float) -> bool:
        """True when ``t`` is past the segment's follow-up and someone was still active."""
        aj = self._fits[label]
        return bool(t > aj["time"][-1] and aj["survival"][-1] > 0)

    def _check_times(self, t: np.ndarray, name: str, beyond_follow_up: str) -> None:
        if np.any(~np.isfinite(t)) or np.any(t < 0):
            raise ValueError(f"{name}: times must be finite and >= 0, got {t.tolist()}.")
        if beyond_follow_up == "nan":
            return
        for label in self._fits:
            beyond = [x for x in t if self._beyond(label, x)]
            if beyond:
                last = self._fits[label]["time"][-1]
                raise ValueError(
                    f"{name}={fmt(max(beyond))} {self.time_unit_}s is beyond the follow-up of "
                    f"segment {label!r} (last observed tenure {fmt(last)}): the cumulative "
                    f"incidence is unknown there. Use a time <= {fmt(last)} or "
                    "beyond_follow_up='nan'."
                )

    def _at(self, label: str, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row index of each ``t`` in the segment's curve (-1 before the first time) and the
        mask of times beyond its follow-up."""
        aj = self._fits[label]
        i = np.searchsorted(aj["time"], t, side="right") - 1
        beyond = np.array([self._beyond(label, x) for x in t], dtype=bool)
        return i, beyond

    # -- values ----------------------------------------------------------------------------
    def incidence_at(self, times: ArrayLike, *, beyond_follow_up: str = "raise") -> pd.DataFrame:
        """Cumulative incidence of each reason, with SE and CI, at the given tenures.

        Parameters
        ----------
        times : array-like
            Tenures, in the data's time unit.
        beyond_follow_up : {"raise", "nan"}, default "raise"
            A time past a segment's last observed tenure (with customers still active) raises
            ``ValueError``; with ``"nan"`` those rows are NaN.

        Returns
        -------
        pandas.DataFrame
            ``segment, reason, time, at_risk, incidence, std_err, ci_lower, ci_upper``; the
            values are those of the last churn at or before each time (cmprsk ``timepoints``).

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"t": [1, 2, 2, 3, 4],
        ...                     "why": ["price", "card", None, "price", None]})
        >>> ci = CumulativeIncidence().fit(cs.prepare(raw, duration="t", reason="why"))
        >>> ci.incidence_at([2.5])[["reason", "incidence"]].values.tolist()
        [['card', 0.2], ['price', 0.2]]
        """
        self._check_fitted()
        check_choice("beyond_follow_up", beyond_follow_up, ("raise", "nan"))
        t = np.atleast_1d(np.asarray(times, dtype=float))
        self._check_times(t, "times", beyond_follow_up)
        frames = []
        for label, aj in self._fits.items():
            i, beyond = self._at(label, t)
            j = np.maximum(i, 0)
            at_risk = self._tables[label].at_risk(t)
            for k, reason in enumerate(self.reasons_):
                cols = {}
                for key in ("incidence", "std_err", "ci_lower", "ci_upper"):
                    v = np.where(i < 0, 0.0, aj[key][j, k])
                    cols[key] = np.where(beyond, np.nan, v)
                frames.append(
                    pd.DataFrame(
                        {"segment": label, "reason": reason, "time": t, "at_risk": at_risk, **cols}
                    )
                )
        out = pd.concat(frames, ignore_index=True)
        out.attrs |= {"conf_level": self.conf_level, "conf_type": self.conf_type}
        return out

    def shares_at(self, times: ArrayLike, *, beyond_follow_up: str = "raise") -> pd.DataFrame:
        """Where the customers are at each tenure: still active, or gone for each reason.

        One row per segment and time, with the share still ``active`` (Kaplan–Meier of churn for
        any reason) and one column per reason (its cumulative incidence); each row adds to 1.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"t": [1, 2, 2, 3, 4],
        ...                     "why": ["price", "card", None, "price", None]})
        >>> ci = CumulativeIncidence().fit(cs.prepare(raw, duration="t", reason="why"))
        >>> ci.shares_at([3]).round(2).values.tolist()
        [['all', 3.0, 0.3, 0.2, 0.5]]
        """
        self._check_fitted()
        check_choice("beyond_follow_up", beyond_follow_up, ("raise", "nan"))
        t = np.atleast_1d(np.asarray(times, dtype=float))
        self._check_times(t, "times", beyond_follow_up)
        rows = []
        for label, aj in self._fits.items():
            i, beyond = self._at(label, t)
            j = np.maximum(i, 0)
            active = np.where(i < 0, 1.0, aj["survival"][j])
            inc = np.where(i[:, None] < 0, 0.0, aj["incidence"][j])
            frame = pd.DataFrame(inc, columns=self.reasons_)
            frame.insert(0, "active", active)
            frame.loc[beyond, :] = np.nan
            frame.insert(0, "time", t)
            frame.insert(0, "segment", label)
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def at_risk(self, times: ArrayLike) -> pd.DataFrame:
        """Number of customers at risk just before each tenure, per segment.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"t": [1, 2, 2, 3, 4],
        ...                     "why": ["price", "card", None, "price", None]})
        >>> ci = CumulativeIncidence().fit(cs.prepare(raw, duration="t", reason="why"))
        >>> ci.at_risk([0, 2, 4])["at_risk"].tolist()
        [5.0, 4.0, 1.0]
        """
        self._check_fitted()
        t = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        if np.any(~np.isfinite(t)) or np.any(t < 0):
            raise ValueError(f"times: must be finite and >= 0, got {t.tolist()}.")
        frames = []
        for label, tab in self._tables.items():
            ct = tab.overall
            at = ct.at_risk(
                np.where(t == 0, np.nextafter(0.0, 1.0), t) if ct.entry_times.size else t
            )
            frames.append(pd.DataFrame({"segment": label, "time": t, "at_risk": at}))
        return pd.concat(frames, ignore_index=True)

    # -- summary ---------------------------------------------------------------------------
    def summarize(
        self, horizons: ArrayLike | None = None, *, beyond_follow_up: str = "nan"
    ) -> pd.DataFrame:
        """Per segment and reason: churns, share of all churns, incidence at horizons (CI).

        Parameters
        ----------
        horizons : sequence of float, optional
            Tenures at which to report the incidence; default one and two years in the data's
            time unit.
        beyond_follow_up : {"raise", "nan"}, default "nan"
            As in :meth:`incidence_at`.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``(segment, reason)``: ``n`` (customers in the segment), ``events``,
            ``share_of_churn``, and per horizon ``h``: ``incidence_h``, ``incidence_h_lower``,
            ``incidence_h_upper``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(2000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> s = CumulativeIncidence().fit(data).summarize([12])
        >>> s.columns.tolist()
        ['n', 'events', 'share_of_churn', 'incidence_12', 'incidence_12_lower', \
'incidence_12_upper']
        """
        self._check_fitted()
        hs = np.atleast_1d(
            np.asarray(
                DEFAULT_HORIZONS[self.time_unit_] if horizons is None else horizons, dtype=float
            )
        )
        at = self.incidence_at(hs, beyond_follow_up=beyond_follow_up)
        rows = []
        for label, aj in self._fits.items():
            total = aj["events"].sum()
            for k, reason in enumerate(self.reasons_):
                ev = float(aj["events"][:, k].sum())
                row = {
                    "segment": label,
                    "reason": reason,
                    "n": self._sizes[label],
                    "events": ev,
                    "share_of_churn": ev / total if total > 0 else np.nan,
                }
                sel = at[(at["segment"] == label) & (at["reason"] == reason)]
                for h, (_, r) in zip(hs, sel.iterrows(), strict=True):
                    key = f"incidence_{fmt(h)}"
                    row |= {
                        key: r["incidence"],
                        f"{key}_lower": r["ci_lower"],
                        f"{key}_upper": r["ci_upper"],
                    }
                rows.append(row)
        out = pd.DataFrame(rows).set_index(["segment", "reason"])
        out.attrs |= {
            "time_unit": self.time_unit_,
            "conf_level": self.conf_level,
            "conf_type": self.conf_type,
        }
        return out

    @property
    def summary(self) -> pd.DataFrame:
        """:meth:`summarize` with its defaults (incidence at one and two years).

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"t": [1, 2, 2, 3, 4],
        ...                     "why": ["price", "card", None, "price", None]})
        >>> s = CumulativeIncidence().fit(cs.prepare(raw, duration="t", reason="why")).summary
        >>> s[["events", "share_of_churn"]].values.tolist()
        [[1.0, 0.3333333333333333], [2.0, 0.6666666666666666]]
        """
        return self.summarize()

    def _note(self) -> str:
        note = (
            f"Time unit: {self.time_unit_}. {100 * self.conf_level:g}% {self.conf_type} "
            "pointwise intervals; variance as cmprsk::cuminc."
        )
        if self.empty_segments_:
            note += f" Empty segments (no customers, not fitted): {self.empty_segments_}."
        return note

    def __repr__(self) -> str:
        return f"CumulativeIncidence(conf_level={self.conf_level!r}, conf_type={self.conf_type!r})"

    # -- tests and plots -------------------------------------------------------------------
    def gray_test(
        self, *, reason: object = None, strata: Columns = None, rho: float = 0.0
    ) -> GrayTestResult:
        """Gray's test that a reason's incidence is the same in every fitted segment.

        See :func:`~churnsurv.reasons.gray_test`.

        Examples
        --------
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(2000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> res = CumulativeIncidence().fit(data, by="plan").gray_test()
        >>> res.summary["df"].tolist()
        [2, 2, 2, 2]
        """
        self._check_fitted()
        return gray_test(self.data_, self.by_, reason=reason, strata=strata, rho=rho)

    def plot(self, *, segment: str | None = None, ax: Axes | None = None) -> Axes:
        """Stacked cumulative incidence by reason, with the share still active on top.

        Parameters
        ----------
        segment : str, optional
            The segment to draw (default: the only one, or the first).
        ax : matplotlib.axes.Axes, optional

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(1000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> ax = CumulativeIncidence().fit(data).plot()
        >>> ax.get_ylabel()
        'Share of customers'
        """
        from churnsurv.plotting.reasons import plot_stacked_incidence

        self._check_fitted()
        label = segment if segment is not None else next(iter(self._fits))
        if label not in self._fits:
            raise ValueError(
                f"segment={segment!r} is not a segment; use one of {list(self._fits)}."
            )
        curves = self.curves_[self.curves_["segment"] == label]
        surv = self.survival_[self.survival_["segment"] == label]
        title = None if label == "all" else str(label)
        return plot_stacked_incidence(curves, surv, time_unit=self.time_unit_, title=title, ax=ax)

    def plot_by_segment(self, reason: object, *, ci: bool = True, ax: Axes | None = None) -> Axes:
        """One reason's cumulative incidence in each segment, with confidence bands.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(1000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> ax = CumulativeIncidence().fit(data, by="plan").plot_by_segment("price")
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['basic', 'standard', 'premium']
        """
        from churnsurv.plotting.reasons import plot_incidence_by_segment

        self._check_fitted()
        if reason not in self.reasons_:
            raise ValueError(f"reason={reason!r} is not a reason; use one of {self.reasons_}.")
        curves = self.curves_[self.curves_["reason"] == reason]
        return plot_incidence_by_segment(
            curves,
            reason=str(reason),
            ci=ci,
            time_unit=self.time_unit_,
            ci_label=f"{100 * self.conf_level:g}% CI ({self.conf_type})",
            ax=ax,
        )
