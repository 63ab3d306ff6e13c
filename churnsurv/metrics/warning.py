"""From scores to action: the early-warning call list and the profit-based list size.

:func:`early_warning` lists active customers with ``P(churn within k | tenure reached)`` (a
bootstrap interval on request), residual CLV, value at risk, value tier and rank, behind guard
rails: a Cox model whose proportional-hazards check fails on a categorical term is refitted
stratified on it (and the result says so), as long as every stratum keeps enough churns;
predictions past the support of the data are flagged and, by default, not ranked: the call list
holds the supported customers, the flagged ones are listed apart with the reason (late risk sets
are tiny, so their churn probabilities are noise that a value-at-risk ranking would put first);
snapshot data without entry times gets a stated caveat.

:func:`profit_threshold` turns the list into a decision: calling customer ``i`` costs
``offer_cost`` and keeps a would-be churner with probability ``success_rate``, so its expected
net value is ``success_rate × p_i × residual_clv_i − offer_cost``. Calling in order of value at
risk, the best list holds exactly the customers with a positive expected net value. All
numbers are model-based expectations (they are as good as the calibration of ``p``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from churnsurv._render import Result, facts_frame
from churnsurv._typing import ArrayLike, Seed
from churnsurv._validation import (
    check_choice,
    check_conf_level,
    check_cost,
    check_count,
    check_probability,
)
from churnsurv.exceptions import AssumptionWarning, DataValidationError

__all__ = ["EarlyWarning", "ProfitThreshold", "early_warning", "profit_threshold"]


class EarlyWarning(Result):
    """The call list: one row per active customer, highest value at risk first.

    Attributes
    ----------
    summary : pandas.DataFrame
        ``tenure``, ``p_churn`` (P(churn within k | tenure)), ``ci_lower``/``ci_upper``
        (bootstrap percentile interval at ``conf_level``, NaN without ``n_boot``),
        ``residual_clv``, ``value_at_risk``, ``value_tier``, ``rank`` (nullable integer),
        ``at_risk_after`` (customers of the same stratum observed to ``tenure + within``) and
        ``beyond_support`` (``at_risk_after < min_at_risk``). With ``flagged="separate"`` the
        supported customers come first, ranked ``1..m`` by value at risk, then the flagged
        ones, unranked (``rank`` is ``<NA>``); with ``flagged="rank"`` everyone is ranked.
    call_list : pandas.DataFrame
        The ranked rows (the customers to call, in order).
    flagged : pandas.DataFrame
        The ``beyond_support`` rows with a ``reason`` column.
    model : the fitted model actually used (possibly the stratified refit)
    guard : dict
        What the guard rails found and did.
    """

    _title = "Early warning: active customers by value at risk"

    def __init__(self, summary, model, guard, assumptions, min_at_risk=50, within=None) -> None:
        self.summary = summary
        self.model = model
        self.guard = guard
        self.assumptions = assumptions
        self.min_at_risk = min_at_risk
        self.within = within

    @property
    def call_list(self) -> pd.DataFrame:
        """The ranked customers, highest value at risk first."""
        return self.summary[self.summary["rank"].notna()]

    @property
    def flagged(self) -> pd.DataFrame:
        """Customers whose prediction is past the data's support, with the reason."""
        out = self.summary[self.summary["beyond_support"]].copy()
        out["reason"] = [
            f"only {n} customer(s) of the stratum observed to tenure + {self.within} "
            f"(at least {self.min_at_risk} needed)"
            for n in out["at_risk_after"]
        ]
        return out

    def top(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` customers to call first (ranked customers only)."""
        return self.call_list.head(n)

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("top 20", self.top(20)),
            ("guard rails", facts_frame(self.guard)),
            ("assumptions", facts_frame(self.assumptions)),
        ]


def _categorical(frame: pd.DataFrame, term: str) -> bool:
    """A formula term that is a column of labels (or bools): one can stratify on it."""
    if term not in frame.columns:
        return False
    col = frame[term]
    return pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col)


def _stratifiable(frame: pd.DataFrame, terms: list[str], base: list[str], min_events: int):
    """Add ``terms`` (most violating first) to the strata while every stratum keeps
    ``min_events`` churns; the terms kept and those refused."""
    chosen: list[str] = []
    refused: list[str] = []
    for term in terms:
        keys = base + chosen + [term]
        events = frame.groupby(keys, observed=True)["event"].sum()
        (chosen if events.min() >= min_events else refused).append(term)
    return chosen, refused


def _ph_guard(
    model: Any, data: Any, significance: float, min_events: int, ph: pd.DataFrame | None = None
) -> tuple[Any, dict]:
    """Check a Cox model's PH assumption; stratify on violating categorical terms. ``ph``: the
    model's ``check_proportional_hazards()`` table when already computed (the model may then
    have let go of its training rows)."""
    from churnsurv.regression import CoxModel

    if not isinstance(model, CoxModel):
        return model, {"proportional hazards": f"not checked ({type(model).__name__})"}
    if ph is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumptionWarning)
            ph = model.check_proportional_hazards(significance=significance)
    bad = [t for t in ph.index[:-1] if ph.loc[t, "p_value"] < significance]
    if not bad:
        return model, {"proportional hazards": f"no term with p < {significance} (cox.zph)"}
    frame = data.frame
    by_p = sorted(bad, key=lambda t: ph.loc[t, "p_value"])
    base = [str(c) for c in np.atleast_1d(model.strata or []).tolist()]
    cats, crowded = _stratifiable(
        frame, [t for t in by_p if _categorical(frame, t)], base, min_events
    )
    rest = [t for t in bad if not _categorical(frame, t)]
    guard = {"proportional hazards": f"violated (cox.zph p < {significance}) for: {', '.join(bad)}"}
    if cats:
        terms = [t.strip() for t in model.formula.split("+") if t.strip() not in cats]
        strata = sorted(set(cats) | set(base))
        formula = " + ".join(terms) if terms else "1"
        refit = CoxModel(formula, strata=strata, ties=model.ties).fit(data)
        guard["action"] = (
            f"refitted stratified on {', '.join(cats)}: CoxModel({formula!r}, strata={strata})"
        )
        model = refit
    unresolved = []
    if crowded:
        unresolved.append(
            f"{', '.join(crowded)}: not stratified, a stratum would keep fewer than "
            f"{min_events} churns"
        )
    if rest:
        unresolved.append(f"{', '.join(rest)}: numeric or transformed term(s) not stratifiable")
    if unresolved:
        guard["unresolved"] = "; ".join(unresolved) + "; rank with care or add a time interaction"
    return model, guard


def _at_risk_after(model: Any, data: Any, out: pd.DataFrame, within: int) -> np.ndarray:
    """How many customers (of the same Cox stratum) were observed to tenure + within."""
    strata = [c for c in np.atleast_1d(getattr(model, "strata", None) or []).tolist()]
    frame = data.frame
    target = out["tenure"].to_numpy(dtype=float) + within
    counts = np.empty(len(out), dtype=int)
    if strata:
        keys = frame[strata].astype(str).agg("|".join, axis=1)
        out_keys = keys.loc[out.index].to_numpy()
    else:
        keys = pd.Series("", index=frame.index)
        out_keys = np.full(len(out), "", dtype=object)
    for key, grp in frame["duration"].groupby(keys.to_numpy()):
        d = np.sort(grp.to_numpy(dtype=float))
        m = out_keys == key
        counts[m] = d.size - np.searchsorted(d, target[m], side="left")
    return counts


def _bootstrap_p(model, data, active_pos, within, n_boot, conf_level, rng):
    from churnsurv.clv._bootstrap import percentile_interval
    from churnsurv.clv.survival_clv import _refit

    gen = np.random.default_rng(rng)
    act = data.frame.iloc[active_pos]
    # The refits read no customer id: resampled from a copy indexed by row position, pandas
    # does not hash each resample's ids whenever the model formula reads a column as an array
    # (an object index is searched for the attribute names numpy asks for; text ids scattered
    # in memory cost 1-2 ms a search, about 50 searches a fit). Customer rows (value_at_risk
    # checks it), so no cluster is made of the index.
    positional = data.take(np.arange(data.n))
    positional.frame.index = pd.RangeIndex(data.n)
    draws = []
    for _ in range(int(n_boot)):
        idx = gen.integers(0, data.n, data.n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = _refit(model, positional.take(idx), idx)
            draws.append(fit.predict_churn_probability(act, within=within).to_numpy(float))
    lo, hi = percentile_interval(np.vstack(draws), conf_level)
    return pd.Series(lo, index=act.index), pd.Series(hi, index=act.index)


def early_warning(
    model: Any,
    data: Any,
    *,
    within: int,
    annual_discount_rate: float = 0.10,
    horizon: int = 60,
    margin: float | str | ArrayLike | None = None,
    tail: Any = None,
    n_boot: int = 0,
    conf_level: float = 0.95,
    rng: Seed = None,
    significance: float = 0.05,
    guard: bool = True,
    min_at_risk: int = 50,
    flagged: str = "separate",
    min_stratum_events: int = 10,
) -> EarlyWarning:
    """P(churn within ``within`` | tenure reached) per active customer, with residual CLV, value
    at risk, value tier and rank, behind guard rails.

    Parameters
    ----------
    model : fitted CoxModel or parametric model
        Fitted on ``data``.
    data : ChurnData
    within : int
        The warning window (periods).
    annual_discount_rate, horizon, margin, tail
        As in :func:`churnsurv.value_at_risk` (residual CLV over ``horizon`` periods).
    n_boot : int, default 0
        Bootstrap resamples for the interval of ``p_churn`` (customers resampled, model
        refitted); 0: no interval.
    conf_level : float, default 0.95
    rng : int or numpy.random.Generator, optional
    significance : float, default 0.05
        Threshold of the proportional-hazards check.
    guard : bool, default True
        Run the guard rails (PH check with stratified refit; support; snapshot caveat).
    min_at_risk : int, default 50
        A prediction is flagged ``beyond_support`` when fewer customers of the customer's
        stratum were observed to ``tenure + within`` (``at_risk_after``): late risk sets are
        tiny and their churn probabilities noisy.
    flagged : {"separate", "rank"}, default "separate"
        ``"separate"``: only supported customers are ranked (the call list,
        :attr:`EarlyWarning.call_list`); flagged ones follow unranked and are listed with
        the reason in :attr:`EarlyWarning.flagged`. ``"rank"``: rank everyone by value at
        risk, flags kept as a column (a noisy late prediction can then top the list).
    min_stratum_events : int, default 10
        The PH guard stratifies on a violating categorical term (most violating first) only
        while every stratum keeps at least this many churns; the terms it cannot stratify on
        are named in ``guard["unresolved"]``.

    Returns
    -------
    EarlyWarning

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes", margin="MonthlyCharges")
    >>> cox = cs.CoxModel("Contract + MonthlyCharges").fit(data)
    >>> ew = early_warning(cox, data, within=6, tail=pd.Series(0.98 ** np.arange(200.0)))
    >>> ew.guard["action"]
    "refitted stratified on Contract: CoxModel('MonthlyCharges', strata=['Contract'])"
    >>> len(ew.summary) == data.n_censored, int(ew.summary["beyond_support"].sum())
    (True, 1013)
    >>> len(ew.call_list), bool(ew.top(20)["beyond_support"].any())
    (4161, False)
    >>> ew.guard["ranking"]
    '1013 flagged customer(s) not ranked: listed apart (EarlyWarning.flagged)'
    """
    from churnsurv.clv.survival_clv import value_at_risk

    check_choice("flagged", flagged, ("separate", "rank"))
    min_at_risk = check_count(min_at_risk, name="min_at_risk", minimum=0)
    min_stratum_events = check_count(min_stratum_events, name="min_stratum_events", minimum=1)
    info: dict = {}
    used = model
    if guard:
        used, info = _ph_guard(model, data, significance, min_stratum_events)
        if not data.has_entry and not getattr(data, "has_dates", False):
            info["snapshot"] = (
                "no entry times or dates: if this is a snapshot of customers active at one date, "
                "those who left earlier are missing and early churn is under-estimated"
            )
    var = value_at_risk(
        used,
        data,
        within=within,
        annual_discount_rate=annual_discount_rate,
        horizon=horizon,
        margin=margin,
        tail=tail,
    )
    out = var.summary.copy()
    out["at_risk_after"] = _at_risk_after(used, data, out, within)
    out["beyond_support"] = out["at_risk_after"] < min_at_risk
    info["support"] = (
        f"{int(out['beyond_support'].sum())} customer(s) flagged: fewer than {min_at_risk} "
        f"customers of their stratum were observed to tenure + {within}"
    )
    if n_boot:
        conf = check_conf_level(conf_level)
        pos = data.frame.index.get_indexer(out.index)
        lo, hi = _bootstrap_p(used, data, pos, within, n_boot, conf, rng)
        out.insert(out.columns.get_loc("p_churn") + 1, "ci_lower", lo.to_numpy())
        out.insert(out.columns.get_loc("ci_lower") + 1, "ci_upper", hi.to_numpy())
    else:
        out.insert(out.columns.get_loc("p_churn") + 1, "ci_lower", np.nan)
        out.insert(out.columns.get_loc("ci_lower") + 1, "ci_upper", np.nan)
    out = _rank(out, flagged)
    n_flag = int(out["beyond_support"].sum())
    info["ranking"] = (
        f"{n_flag} flagged customer(s) not ranked: listed apart (EarlyWarning.flagged)"
        if flagged == "separate"
        else f"everyone ranked by value at risk, {n_flag} flagged customer(s) included"
    )
    out.attrs["conf_level"] = conf_level
    return EarlyWarning(out, used, info, dict(var.assumptions, n_boot=n_boot), min_at_risk, within)


def _rank(out: pd.DataFrame, flagged: str) -> pd.DataFrame:
    """Order by value at risk; with ``"separate"`` rank the supported customers only."""
    var = out["value_at_risk"].to_numpy(dtype=float)
    key = np.where(np.isnan(var), -np.inf, var)
    if flagged == "separate":
        order = np.lexsort((-key, out["beyond_support"].to_numpy()))
        out = out.iloc[order].copy()
        ranked = ~out["beyond_support"].to_numpy()
    else:
        out = out.iloc[np.argsort(-key, kind="stable")].copy()
        ranked = np.ones(len(out), dtype=bool)
    rank = pd.array([pd.NA] * len(out), dtype="Int64")
    rank[ranked] = np.arange(1, int(ranked.sum()) + 1)
    out["rank"] = rank
    return out


class ProfitThreshold(Result):
    """Cut-offs of the call list by expected net value.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per list size: ``fraction``, ``n_contacted``, ``score_threshold`` (lowest
        value at risk called), ``precision`` (mean p_churn of those called), ``recall`` (their
        share of all expected churners), ``expected_saves``, ``expected_net_value``.
    best : pandas.Series
        The list that maximises expected net value (all customers with
        ``success_rate × value_at_risk > offer_cost``).
    """

    _title = "Call list size by expected net value"

    def __init__(self, summary: pd.DataFrame, best: pd.Series, settings: dict) -> None:
        self.summary = summary
        self.best = best
        self.settings = settings

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("", self.summary),
            ("best list", self.best.to_frame("value")),
            ("settings", facts_frame(self.settings)),
        ]


def profit_threshold(
    warning: EarlyWarning | pd.DataFrame,
    *,
    offer_cost: float,
    success_rate: float,
    fractions: ArrayLike = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
) -> ProfitThreshold:
    """The list size that maximises expected net value, and a table of cut-offs.

    Parameters
    ----------
    warning : EarlyWarning or DataFrame
        With columns ``p_churn`` and ``residual_clv`` (from :func:`early_warning` or
        :func:`churnsurv.value_at_risk`). Of an :class:`EarlyWarning` only the ranked
        customers (:attr:`EarlyWarning.call_list`) are considered: flagged predictions are
        past the data's support.
    offer_cost : float
        Cost of one retention offer (money).
    success_rate : float
        Probability the offer keeps a customer who would otherwise churn, in [0, 1].
    fractions : array-like
        List sizes (shares of active customers) for the table.

    Returns
    -------
    ProfitThreshold

    Examples
    --------
    >>> import pandas as pd
    >>> ew = pd.DataFrame({"p_churn": [0.5, 0.2, 0.1], "residual_clv": [1000, 1000, 100]})
    >>> pt = profit_threshold(ew, offer_cost=50, success_rate=0.3, fractions=[1 / 3, 1])
    >>> pt.summary[["n_contacted", "expected_net_value"]].values.tolist()
    [[1.0, 100.0], [3.0, 63.0]]
    >>> int(pt.best["n_contacted"]), float(pt.best["expected_net_value"])
    (2, 110.0)
    """
    frame = warning.call_list if isinstance(warning, EarlyWarning) else warning
    success_rate = check_probability(success_rate, name="success_rate")
    offer_cost = check_cost(offer_cost, name="offer_cost")
    p = frame["p_churn"].to_numpy(dtype=float)
    clv = frame["residual_clv"].to_numpy(dtype=float)
    ok = np.isfinite(p) & np.isfinite(clv)
    p, clv = p[ok], clv[ok]
    var = p * clv
    order = np.argsort(-var, kind="stable")
    p, var = p[order], var[order]
    if p.size == 0:
        raise DataValidationError(
            "warning: no customer to call (an empty list, or every prediction flagged past the "
            "data's support).",
            column="p_churn",
            rule="empty list",
        )
    net = np.cumsum(success_rate * var - offer_cost)
    saves = np.cumsum(success_rate * p)
    cum_p = np.cumsum(p)
    n = p.size

    def row(k: int, frac: float) -> dict:
        return {
            "fraction": frac,
            "n_contacted": k,
            "score_threshold": float(var[k - 1]) if k else np.nan,
            "precision": float(cum_p[k - 1] / k) if k else np.nan,
            "recall": float(cum_p[k - 1] / cum_p[-1]) if k else 0.0,
            "expected_saves": float(saves[k - 1]) if k else 0.0,
            "expected_net_value": float(net[k - 1]) if k else 0.0,
        }

    f = np.atleast_1d(np.asarray(fractions, dtype=float))
    rows = [row(max(1, int(np.ceil(x * n - 1e-9))), float(x)) for x in f]
    k_best = int(np.sum(success_rate * var > offer_cost))
    best = pd.Series(row(k_best, k_best / n if n else 0.0))
    settings = {"offer_cost": offer_cost, "success_rate": success_rate, "customers": n}
    return ProfitThreshold(pd.DataFrame(rows), best, settings)
