"""What the report concludes, and the choices it makes from the data.

* Defaults that adapt to the data: retention horizons and the RMST horizon within every
  segment's follow-up (:func:`retention_horizons`), the CLV horizon within follow-up or with a
  named tail (:func:`clv_horizon`, :func:`clv_tail`), and how far a valuation reaches past the
  data (:func:`extrapolation`).
* The Cox section's remedy of its own proportional-hazards check (:func:`ph_remedy`): the guard
  of :func:`churnsurv.early_warning` (stratify on violating categorical terms while every
  stratum keeps enough churns), re-checked, as a table of what was done.
* The key findings at the top of the report, in plain words with numbers and intervals
  (:func:`stay_findings`, :func:`driver_finding`, :func:`worth_finding`,
  :func:`call_finding`, :func:`findings_html`). A driver is only named from a model that
  passed its proportional-hazards check.

Only the report template imports this module.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from churnsurv.data.units import YEARS_PER_UNIT
from churnsurv.exceptions import AssumptionWarning
from churnsurv.km.estimator import DEFAULT_HORIZONS
from churnsurv.report.resampling import bootstrap_totals, saddlepoint_quantiles
from churnsurv.report.tables import money, number, pct, pct_ci

__all__ = [
    "CLV_TAILS",
    "DEFAULT_CLV_HORIZON",
    "SADDLEPOINT_MIN",
    "PHRemedy",
    "call_finding",
    "clv_horizon",
    "clv_tail",
    "driver_finding",
    "extrapolation",
    "findings_html",
    "follow_up",
    "fmt_p",
    "ph_remedy",
    "retention_horizons",
    "segment_totals",
    "stay_findings",
    "worth_finding",
]

#: ``--clv-tail`` choices: how survival continues past the follow-up (see :func:`clv_tail`).
CLV_TAILS = ("sbg", "weibull", "lognormal", "loglogistic", "none")
#: The CLV horizon when none is given: five years in whole time units (1826 days, 261 weeks,
#: 60 months, 5 years; from the exact unit lengths of :data:`churnsurv.data.YEARS_PER_UNIT`),
#: cut to the follow-up (:func:`clv_horizon`).
DEFAULT_CLV_HORIZON = {unit: round(5 / years) for unit, years in YEARS_PER_UNIT.items()}


def fmt_p(p: float) -> str:
    """A p-value as R prints it: "< 1e-16" below 1e-16, else two significant digits.

    Examples
    --------
    >>> fmt_p(1e-93), fmt_p(0.0123), fmt_p(float("nan"))
    ('< 1e-16', '0.012', 'NA')
    """
    if p is None or not np.isfinite(p):
        return "NA"
    return "< 1e-16" if p < 1e-16 else f"{p:.2g}"


def _p_phrase(p: float) -> str:
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


# --------------------------------------------------------------------------------------------
# defaults that adapt to the data
# --------------------------------------------------------------------------------------------
def follow_up(km: Any) -> pd.Series:
    """The longest observed tenure of each segment of a fitted Kaplan–Meier.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes", segments="Contract")
    >>> follow_up(cs.KaplanMeier().fit(data, by="Contract")).tolist()
    [72.0, 72.0, 72.0]
    """
    return km.curves_.groupby("segment", sort=False)["time"].max().astype(float)


def retention_horizons(km: Any, time_unit: str) -> tuple[list[float], float]:
    """Retention horizons and the RMST horizon within the follow-up of every segment.

    The defaults of :attr:`churnsurv.KaplanMeier.summary` (one and two years) that every
    segment's follow-up reaches; when none does, half the shortest follow-up and the whole of
    it (whole time units). The RMST horizon is the largest retention horizon.

    Examples
    --------
    Telco follows customers for 72 months; a table that follows them for 12 months gets 12:

    >>> import numpy as np, pandas as pd, churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> retention_horizons(cs.KaplanMeier().fit(data), "month")
    ([12.0, 24.0], 24.0)
    >>> raw = pd.DataFrame({"t": np.tile(np.arange(1, 11), 5), "e": np.tile([0, 1], 25)})
    >>> short = cs.prepare(raw, duration="t", event="e")
    >>> retention_horizons(cs.KaplanMeier().fit(short), "month")
    ([5.0, 10.0], 10.0)
    """
    shortest = float(follow_up(km).min())
    kept = [float(h) for h in DEFAULT_HORIZONS[time_unit] if h <= shortest]
    if not kept:
        whole = max(1, int(np.floor(shortest)))
        kept = sorted({float(max(1, whole // 2)), float(whole)})
    return kept, max(kept)


def clv_horizon(horizon: int | None, tail: str, shortest: float, time_unit: str) -> tuple[int, str]:
    """The CLV horizon the report uses, and a sentence saying how it was chosen.

    Without ``horizon`` (``--horizon`` not given) it is five years cut to the shortest segment
    follow-up. A given horizon past the follow-up is kept with a tail (the sentence says how far
    the tail reaches) and cut to the follow-up with ``tail="none"``.

    Examples
    --------
    >>> clv_horizon(None, "sbg", 12, "month")[0], clv_horizon(None, "sbg", 72, "month")[0]
    (12, 60)
    >>> clv_horizon(60, "none", 12, "month")
    (12, '--horizon 60 reaches past the follow-up (12 months) and --clv-tail is none: CLV is
    valued over 12 months.')
    >>> clv_horizon(60, "sbg", 12, "month")[1]
    'CLV over 60 months, 48 months past the follow-up (12 months): there retention comes from
    the sbg tail (--clv-tail), not from data.'
    """
    whole = max(1, int(np.floor(shortest)))
    u = f"{time_unit}s"
    if horizon is None:
        h = min(DEFAULT_CLV_HORIZON[time_unit], whole)
        cut = " (five years, cut to the follow-up)" if h < DEFAULT_CLV_HORIZON[time_unit] else ""
        return h, f"CLV over {h} {u}{cut}: within the follow-up of every segment."
    h = int(horizon)
    if h <= shortest:
        return h, f"CLV over {h} {u}: within the follow-up of every segment."
    if tail == "none":
        return whole, (
            f"--horizon {h} reaches past the follow-up ({number(shortest)} {u}) and --clv-tail "
            f"is none: CLV is valued over {whole} {u}."
        )
    return h, (
        f"CLV over {h} {u}, {number(h - shortest)} {u} past the follow-up ({number(shortest)} "
        f"{u}): there retention comes from the {tail} tail (--clv-tail), not from data."
    )


def clv_tail(name: str, data: Any, horizon: int) -> tuple[Any, str]:
    """The tail named by ``--clv-tail``, fitted to all customers, and its description.

    ``"sbg"``: the shifted-beta-geometric model (:func:`churnsurv.report.io.sbg_tail`, its
    geometric limit where churn does not slow with tenure); ``"weibull"``, ``"lognormal"``,
    ``"loglogistic"``: the AFT model without covariates; ``"none"``: no tail (None).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> tail, text = clv_tail("weibull", data, 60)
    >>> type(tail).__name__, text
    ('WeibullAFT', 'Weibull AFT model without covariates, fitted to all 7,043 customers')
    >>> clv_tail("none", data, 60)
    (None, 'none: no valuation past the follow-up')
    """
    import churnsurv as cs
    from churnsurv.report.io import sbg_tail

    if name == "none":
        return None, "none: no valuation past the follow-up"
    if name == "sbg":
        sbg, tail = sbg_tail(data, horizon)
        if sbg is None:  # churn does not slow with tenure: the sBG's limit, one churn rate
            return tail, (
                f"geometric, a constant churn probability of {1 - tail.iloc[1]:.3g} per "
                f"{data.time_unit} (the limit the shifted-beta-geometric model reaches on these "
                f"data, where churn does not slow down with tenure), fitted to all {data.n:,} "
                "customers"
            )
        return tail, (
            f"shifted-beta-geometric, alpha = {sbg.alpha_:.3g}, beta = {sbg.beta_:.3g}, fitted "
            f"to all {data.n:,} customers"
        )
    model = {"weibull": cs.WeibullAFT, "lognormal": cs.LogNormalAFT}.get(name, cs.LogLogisticAFT)
    title = {"weibull": "Weibull", "lognormal": "log-normal", "loglogistic": "log-logistic"}[name]
    return model().fit(data), (
        f"{title} AFT model without covariates, fitted to all {data.n:,} customers"
    )


def _floats(values: Any) -> np.ndarray:
    """``values`` as float64; a Series through ``to_numpy``.

    ``np.asarray(series)`` probes the Series for numpy's dunder attributes, and pandas answers
    each probe by looking the name up in the index: for the 8.8 million text ids of a
    10,000,000-customer report, the first lookup builds a hash table of the ids (16 s).
    """
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float)
    return np.asarray(values, dtype=float)


def extrapolation(tenures: Any, horizon: int, last_time: float) -> dict:
    """How far valuing active customers over ``horizon`` reaches past the data.

    Returns ``n`` (customers whose tenure + horizon passes ``last_time``), ``share`` of the
    customers given, and ``beyond`` (the furthest reach past ``last_time``, 0 if none).

    Examples
    --------
    >>> extrapolation([1, 5, 10], 6, 12)
    {'n': 1, 'share': 0.3333333333333333, 'beyond': 4.0}
    """
    t = _floats(tenures) + float(horizon)
    past = t > last_time
    return {
        "n": int(past.sum()),
        "share": float(past.mean()) if t.size else 0.0,
        "beyond": float(max(0.0, t.max() - last_time)) if t.size else 0.0,
    }


#: Index cells drawn at once by :func:`segment_totals` (32 MB of int64).
_BOOT_CELLS = 1 << 22
#: Customers from which :func:`segment_totals` takes a segment's interval from the saddlepoint
#: approximation instead of drawing resamples. At 10,000 lognormal values (sdlog 1.5) its
#: 2.5% / 97.5% quantiles lie within Monte Carlo error of 100,000 resamples and closer to them
#: than 1,000 resamples typically come (tests/report/test_findings.py, R reference
#: tests/reference/bootstrap_total.R); the approximation's error shrinks as segments grow.
SADDLEPOINT_MIN = 10_000


def _text_codes(segments: Any) -> tuple[np.ndarray, np.ndarray]:
    """Group codes and names of the segments' text (``astype(str)``: a missing value is
    ``"nan"``); a categorical's text comes from its categories, not from every row."""
    seg = segments if isinstance(segments, pd.Series) else pd.Series(segments)
    if isinstance(seg.dtype, pd.CategoricalDtype):
        text = np.append(seg.cat.categories.astype(str).to_numpy(dtype=object), "nan")
        codes = seg.cat.codes.to_numpy()  # -1 (missing) picks the last name, "nan"
        merged, names = pd.factorize(text)  # categories with the same text are one segment
        return merged[codes], np.asarray(names, dtype=object)
    codes, names = pd.factorize(seg.astype(str).to_numpy())
    return codes, np.asarray(names, dtype=object)


def segment_totals(
    values: pd.Series, segments: pd.Series, *, n_boot: int, rng: Any, conf_level: float = 0.95
) -> pd.DataFrame:
    """Totals per segment with a bootstrap percentile interval (customers resampled within
    each segment, each value held fixed).

    Segments are the text of ``segments`` (``astype(str)``), in text order; a categorical is
    read through its codes (its categories' text), without a text value per row.

    The interval is the ``(1 - conf_level) / 2`` and ``(1 + conf_level) / 2`` quantiles of the
    bootstrap distribution of the segment's total, the sum of ``m`` draws with replacement from
    its ``m`` values. Under :data:`SADDLEPOINT_MIN` customers they come from ``n_boot`` seeded
    resamples (the generator ``rng`` is used by these segments only, in segment order). From
    :data:`SADDLEPOINT_MIN` customers on they come from the saddlepoint approximation of the
    same distribution (Lugannani-Rice with its exact cumulant generating function; Davison &
    Hinkley 1988, Biometrika 75, 417-431): more accurate there than 1,000 resamples and one
    pass over the values per evaluation instead of ``n_boot`` passes. The ``method`` column
    says which.

    Examples
    --------
    >>> v = pd.Series([1.0, 2.0, 3.0, 10.0]); s = pd.Series(["a", "a", "a", "b"])
    >>> segment_totals(v, s, n_boot=200, rng=0)[["customers", "total", "ci_lower", "ci_upper"]]
             customers  total  ci_lower  ci_upper
    segment
    a                3    6.0       3.0       9.0
    b                1   10.0      10.0      10.0
    >>> segment_totals(v, s, n_boot=200, rng=0)["method"].iloc[0]
    'bootstrap, 200 resamples'
    """
    gen = np.random.default_rng(rng)
    rows = {}
    lo_q, hi_q = (1 - conf_level) / 2, (1 + conf_level) / 2
    codes, names = _text_codes(segments)
    # the values by segment code, each segment's in their own order (a stable sort; numpy
    # sorts 16-bit keys by radix, 4x faster than the same order of 64-bit codes)
    keys = codes.astype(np.int16) if len(names) < 2**15 else codes
    by_code = _floats(values)[np.argsort(keys, kind="stable")]
    counts = np.bincount(codes, minlength=len(names))
    ends = np.cumsum(counts)
    for k in np.argsort(names):  # segments in the order of their text
        if counts[k] == 0:  # a category without customers
            continue
        label, x = names[k], by_code[ends[k] - counts[k] : ends[k]]
        if x.size >= SADDLEPOINT_MIN:
            lower, upper = saddlepoint_quantiles(x, [lo_q, hi_q])
            method = "saddlepoint"
        else:
            # resamples drawn a block at a time (bounded memory), and past 32,768 customers a
            # cache-sized piece of them at a time (same distribution: resampling.py)
            draws = bootstrap_totals(x, int(n_boot), gen, _BOOT_CELLS)
            lower, upper = np.quantile(draws, lo_q), np.quantile(draws, hi_q)
            method = f"bootstrap, {int(n_boot):,} resamples"
        rows[label] = {
            "customers": int(x.size),
            "total": float(x.sum()),
            "ci_lower": float(lower),
            "ci_upper": float(upper),
            "method": method,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("segment")


# --------------------------------------------------------------------------------------------
# the Cox section acts on its own check
# --------------------------------------------------------------------------------------------
@dataclass
class PHRemedy:
    """What the Cox section did about its proportional-hazards check.

    Attributes
    ----------
    model : CoxModel or None
        The model after the remedy (the original one if nothing was done); None when every
        term was stratified on and no hazard ratio is left.
    table : pandas.DataFrame
        Per term: ``p before``, ``action``, ``p after`` (blank for a stratified term, which has
        no coefficient any more).
    stratified, failing : list of str
        Terms stratified on; terms that still fail the check after the remedy.
    significance : float
    """

    model: Any
    table: pd.DataFrame
    stratified: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)
    significance: float = 0.05

    @property
    def passed(self) -> bool:
        """True when no term fails the check after the remedy."""
        return not self.failing


def _ph(model: Any, significance: float) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        return model.check_proportional_hazards(significance=significance)


def ph_remedy(
    model: Any,
    data: Any,
    *,
    significance: float = 0.05,
    min_events: int = 10,
    ph: pd.DataFrame | None = None,
):
    """Act on a Cox model's proportional-hazards check as :func:`churnsurv.early_warning`
    does, re-check, and say per term what was done.

    Violating categorical terms are stratified on (most violating first) while every stratum
    keeps ``min_events`` churns (the early-warning guard, ``min_stratum_events``); numeric terms
    and terms whose strata would be too small are left, and named if they still fail.

    ``ph`` is ``model.check_proportional_hazards()`` when already computed: the model is then
    not read again, so it may have let go of its training rows (``CoxModel.remove_data``)
    before the refit, which needs rows of its own.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes", covariates=["Contract", "SeniorCitizen"])
    >>> r = ph_remedy(cs.CoxModel("Contract + SeniorCitizen").fit(data), data)
    >>> r.stratified, r.failing, r.passed
    (['Contract'], [], True)
    >>> r.table["action"].tolist()
    ['stratified: own baseline per level', 'none needed']
    """
    from churnsurv.metrics.warning import _categorical, _ph_guard

    before = _ph(model, significance) if ph is None else ph
    terms = [t for t in before.index if t != "GLOBAL"]
    base = {str(c) for c in np.atleast_1d(model.strata or []).tolist()}
    try:
        used, _guard = _ph_guard(model, data, significance, min_events, ph=before)
    except ValueError:  # every term was stratified on: no covariate is left to fit
        table = pd.DataFrame(
            {"p before": before["p_value"].drop("GLOBAL"), "p after": np.nan}
        ).rename_axis("term")
        table.insert(1, "action", "stratified: own baseline per level")
        return PHRemedy(None, table, terms, [], significance)
    stratified = [str(c) for c in np.atleast_1d(used.strata or []).tolist() if str(c) not in base]
    after = _ph(used, significance) if used is not model else before
    rows, failing = [], []
    for term in terms:
        p0 = float(before.loc[term, "p_value"])
        if term in stratified:
            action, p1 = "stratified: own baseline per level", np.nan
        else:
            p1 = float(after.loc[term, "p_value"]) if term in after.index else np.nan
            if p0 >= significance:
                action = "none needed"
            elif _categorical(data.frame, term):
                action = f"kept: a stratum would have fewer than {min_events} churns"
            else:
                action = "kept: a numeric term cannot be stratified on"
            if np.isfinite(p1) and p1 < significance:
                failing.append(term)
        rows.append({"term": term, "p before": p0, "action": action, "p after": p1})
    table = pd.DataFrame(rows).set_index("term")
    return PHRemedy(used, table, stratified, failing, significance)


# --------------------------------------------------------------------------------------------
# the key findings
# --------------------------------------------------------------------------------------------
def _retention_key(summary: pd.DataFrame, horizon: float) -> str:
    """The summary column of retention at ``horizon`` (``retention_12`` for 12.0)."""
    for col in summary.columns:
        if col.startswith("retention_") and not col.endswith(("_lower", "_upper")):
            if float(col.removeprefix("retention_")) == float(horizon):
                return col
    return f"retention_{horizon:g}"


def stay_findings(
    summary_all: pd.DataFrame, horizon: float, unit: str, by_tests: list[dict], last_time: float
) -> list[str]:
    """How long customers stay, and which segments differ (log-rank p < 0.05 only).

    ``summary_all``: :meth:`KaplanMeier.summarize` of all customers with ``horizon`` among its
    horizons. ``by_tests``: per segment column ``{"by", "p", "summary", "horizon"}`` (the
    log-rank p-value and the segments' summary with that horizon). ``last_time``: the longest
    observed tenure.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes", segments=["Contract", "gender"])
    >>> km = cs.KaplanMeier().fit(data)
    >>> tests = []
    >>> for col in ("Contract", "gender"):
    ...     k = cs.KaplanMeier().fit(data, by=col)
    ...     tests.append({"by": col, "p": float(k.logrank().summary["p_value"].iloc[0]),
    ...                   "summary": k.summarize(horizons=[12]), "horizon": 12})
    >>> for line in stay_findings(km.summarize(horizons=[12]), 12, "month", tests, 72):
    ...     print(line)
    More than half of the customers are still active at the end of follow-up (72 months): the
    median tenure is not reached. 84.3% (95% CI 83.4% to 85.2%) are still customers after 12
    months.
    Retention differs by Contract (log-rank p < 1e-16): after 12 months 70.3% (68.8% to 71.9%)
    of Month-to-month, 99.1% (98.6% to 99.6%) of One year and 100.0% (100.0% to 100.0%) of Two
    year customers remain.
    No difference shown by gender (log-rank p = 0.47).
    """
    s = summary_all.iloc[0]
    u = f"{unit}s"
    key = _retention_key(summary_all, horizon)
    if pd.isna(s["median"]):
        first = (
            "More than half of the customers are still active at the end of follow-up "
            f"({number(last_time)} {u}): the median tenure is not reached."
        )
    else:
        upper = "not reached" if pd.isna(s["median_upper"]) else number(s["median_upper"])
        first = (
            f"Half of the customers have left by {number(s['median'])} {u} (95% CI "
            f"{number(s['median_lower'])} to {upper})."
        )
    if key in s and pd.notna(s[key]):
        first += (
            f" {pct(s[key])} (95% CI {pct(s[f'{key}_lower'])} to {pct(s[f'{key}_upper'])}) are "
            f"still customers after {number(horizon)} {u}."
        )
    lines, quiet = [first], []
    for test in by_tests:
        if not np.isfinite(test["p"]) or test["p"] >= 0.05:
            quiet.append(f"{test['by']} (log-rank {_p_phrase(test['p'])})")
            continue
        k = _retention_key(test["summary"], test["horizon"])
        seg = test["summary"]
        parts = [
            f"{pct_ci(r[k], r[f'{k}_lower'], r[f'{k}_upper'])} of {label}"
            for label, r in seg.iterrows()
            if pd.notna(r.get(k))
        ]
        said = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)
        lines.append(
            f"Retention differs by {test['by']} (log-rank {_p_phrase(test['p'])}): after "
            f"{number(test['horizon'])} {u} {said} customers remain."
        )
    if quiet:
        lines.append(f"No difference shown by {', '.join(quiet)}.")
    return lines


def driver_finding(remedy: PHRemedy | None, why_none: str | None = None, n: int = 3) -> str:
    """The ``n`` largest hazard ratios (p < 0.05) of a model that passed its PH check, with
    their intervals and the causal caveat; otherwise why there is no finding.

    Examples
    --------
    Simulated customers with proportional hazards (exponential churn, hazard ratio 2 for the
    "pro" plan and 1.65 = exp(0.5) per unit of ``usage``) pass the check unchanged, and the
    intervals cover the true ratios:

    >>> import numpy as np, churnsurv as cs
    >>> gen = np.random.default_rng(1)
    >>> plan = gen.choice(["basic", "pro"], 3000); usage = gen.normal(size=3000)
    >>> t = gen.exponential(1 / (0.05 * np.where(plan == "pro", 2.0, 1.0) * np.exp(0.5 * usage)))
    >>> raw = pd.DataFrame({"t": np.minimum(t, 24), "e": t <= 24, "plan": plan, "usage": usage})
    >>> data = cs.prepare(raw, duration="t", event="e", covariates=["plan", "usage"])
    >>> r = ph_remedy(cs.CoxModel("plan + usage").fit(data), data)
    >>> print(driver_finding(r))
    Largest effects (Cox model, which passed its proportional-hazards check): plan: pro (vs
    basic) churns at 1.98 times the rate (95% CI 1.82 to 2.15); usage churns at 1.66 times the
    rate (95% CI 1.59 to 1.73). These are associations holding the other terms fixed, not
    causes: changing a term need not change churn.
    """
    if remedy is None:
        return f"No finding: {why_none or 'no Cox model was fitted'}."
    if remedy.model is None:
        return (
            f"No hazard ratio: every term ({', '.join(remedy.stratified)}) changes its effect "
            "with tenure and was stratified on; the retention curves of section 2 show how the "
            "segments differ."
        )
    if not remedy.passed:
        bad = ", ".join(
            f"{t} ({_p_phrase(remedy.table.loc[t, 'p after'])})" for t in remedy.failing
        )
        did = f"after stratifying on {', '.join(remedy.stratified)}, " if remedy.stratified else ""
        return (
            f"No finding: {did}the proportional-hazards check still fails for {bad}. Their "
            "hazard ratios average effects that change with tenure, so none is named here "
            "(section 5 shows the model and the check)."
        )
    s = remedy.model.summary
    s = s[s["p_value"] < 0.05]
    if s.empty:
        return "No term of the Cox model has a hazard ratio different from 1 (all p ≥ 0.05)."
    top = s.reindex(s["log_hr"].abs().sort_values(ascending=False).index).head(n)
    parts = [
        f"{r['label']} churns at {number(r['hr'])} times the rate (95% CI "
        f"{number(r['hr_lower'])} to {number(r['hr_upper'])})"
        for _, r in top.iterrows()
    ]
    how = (
        f"Cox model stratified on {', '.join(remedy.stratified)}"
        if remedy.stratified
        else "Cox model"
    )
    return (
        f"Largest effects ({how}, which passed its proportional-hazards check): "
        + "; ".join(parts)
        + ". These are associations holding the other terms fixed, not causes: changing a term "
        "need not change churn."
    )


def worth_finding(clv_by_segment: pd.DataFrame, horizon: int, unit: str, discount: str) -> str:
    """CLV of an average customer and by segment, with bootstrap intervals, in one paragraph.

    ``clv_by_segment``: rows with ``by``, ``segment``, ``clv``, ``clv_lower``, ``clv_upper``
    (``by == "(all customers)"`` for the overall value).

    Examples
    --------
    >>> t = pd.DataFrame({"by": ["(all customers)", "plan", "plan"],
    ...                   "segment": ["all", "basic", "pro"], "clv": [1500.0, 900.0, 2600.0],
    ...                   "clv_lower": [1450.0, 850.0, 2500.0],
    ...                   "clv_upper": [1550.0, 950.0, 2700.0]})
    >>> worth_finding(t, 60, "month", "10% a year")
    'Over 60 months (discounted at 10% a year) an average customer is worth 1,500 (95% CI 1,450
    to 1,550). By plan: pro 2,600 (2,500 to 2,700), basic 900 (850 to 950).'
    """
    out = []
    overall = clv_by_segment[clv_by_segment["by"] == "(all customers)"]
    head = f"Over {horizon} {unit}s (discounted at {discount})"
    if len(overall):
        r = overall.iloc[0]
        out.append(
            f"{head} an average customer is worth {money(r['clv'])} (95% CI "
            f"{money(r['clv_lower'])} to {money(r['clv_upper'])})."
        )
    else:
        out.append(f"{head}:")
    for col, grp in clv_by_segment[clv_by_segment["by"] != "(all customers)"].groupby(
        "by", sort=False
    ):
        grp = grp.sort_values("clv", ascending=False)
        parts = [
            f"{r['segment']} {money(r['clv'])} ({money(r['clv_lower'])} to {money(r['clv_upper'])})"
            for _, r in grp.iterrows()
        ]
        out.append(f"By {col}: {', '.join(parts)}.")
    return " ".join(out)


def call_finding(
    top: pd.DataFrame, *, n_ranked: int, within: int, unit: str, best: Any = None
) -> str:
    """Who to call first: the top of the call list with intervals, and the list size that
    maximises expected net value (``best``, a :func:`churnsurv.profit_threshold` row).

    ``top``: :meth:`EarlyWarning.top` rows (``p_churn``, ``ci_lower``, ``ci_upper``,
    ``residual_clv``, ``value_at_risk``), indexed by customer.

    Examples
    --------
    >>> top = pd.DataFrame({"p_churn": [0.52, 0.4], "ci_lower": [0.45, 0.3],
    ...                     "ci_upper": [0.6, 0.5], "residual_clv": [3000.0, 2000.0],
    ...                     "value_at_risk": [1560.0, 800.0]}, index=["C1", "C2"])
    >>> call_finding(top, n_ranked=100, within=6, unit="month")
    'Call first the customers with the most value at risk (P(churn within 6 months) × residual
    CLV): C1 (52.0% chance, 95% CI 45.0% to 60.0%; 1,560 at risk of 3,000), C2 (40.0% chance,
    95% CI 30.0% to 50.0%; 800 at risk of 2,000); 100 customers are ranked in section 8.'
    """
    parts = [
        f"{cid} ({pct(r['p_churn'])} chance, 95% CI {pct(r['ci_lower'])} to "
        f"{pct(r['ci_upper'])}; {money(r['value_at_risk'])} at risk of "
        f"{money(r['residual_clv'])})"
        for cid, r in top.head(3).iterrows()
    ]
    text = (
        f"Call first the customers with the most value at risk (P(churn within {within} "
        f"{unit}s) × residual CLV): {', '.join(parts)}; {n_ranked:,} customers are ranked in "
        "section 8."
    )
    if best is not None:
        text += (
            f" Calling the top {int(best['n_contacted']):,} maximises the expected net value "
            f"(about {best['expected_saves']:.0f} customers kept, "
            f"{money(best['expected_net_value'])} net of the offers' cost)."
        )
    return text


def findings_html(items: list[tuple[str, list[str] | str]]) -> str:
    """The key findings as an HTML list; every text is escaped.

    Examples
    --------
    >>> findings_html([("How long customers stay", ["<b>70%</b> stay"])])
    '<div class="churnsurv-findings"><ul><li><strong>How long customers stay.</strong>
    &lt;b&gt;70%&lt;/b&gt; stay</li></ul></div>'
    """
    rows = []
    for title, texts in items:
        body = " ".join([texts] if isinstance(texts, str) else texts)
        rows.append(f"<li><strong>{html.escape(title)}.</strong> {html.escape(body)}</li>")
    return f'<div class="churnsurv-findings"><ul>{"".join(rows)}</ul></div>'
