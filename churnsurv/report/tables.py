"""Tables for people: the report's tables rounded, in percentages, with intervals in one cell.

The CSV files under ``tables/`` keep every column at full precision; these functions shape what
the HTML page shows: numbers rounded to the digits that carry information, shares as
percentages (as the figures show them), an estimate and its interval in one cell, no ``None``
rows, and the discount rate said once in words.

Only the report template imports this module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "assumption_rows",
    "churn_rate_table",
    "clv_table",
    "discount_sentence",
    "km_table",
    "money",
    "number",
    "pct",
    "pct_ci",
    "value_ci",
]


def number(x, digits: int = 3) -> str:
    """A number for reading: ``digits`` significant digits, thousands separated.

    Examples
    --------
    >>> number(1234.5678), number(0.012345), number(17.46), number(float("nan")), number(72.0)
    ('1,235', '0.0123', '17.5', 'NA', '72')
    """
    if x is None or (isinstance(x, float | np.floating) and not np.isfinite(x)):
        return "NA"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}"
    x = float(x)
    if x.is_integer():
        return f"{x:,.0f}"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    decimals = digits - 1 - int(np.floor(np.log10(abs(x))))
    return f"{x:,.{decimals}f}"


def money(x) -> str:
    """An amount of money: whole units from 100 on, else three significant digits.

    Examples
    --------
    >>> money(2345.678), money(45.678), money(-3.21)
    ('2,346', '45.7', '-3.21')
    """
    return number(x, 3)


def pct(share, digits: int = 1) -> str:
    """A share (0.703) as a percentage ('70.3%'); NaN is 'NA'.

    Examples
    --------
    >>> pct(0.70312), pct(1.0), pct(float("nan"))
    ('70.3%', '100.0%', 'NA')
    """
    if share is None or not np.isfinite(share):
        return "NA"
    return f"{100 * float(share):.{digits}f}%"


def pct_ci(est, lower, upper, digits: int = 1) -> str:
    """'70.3% (68.8% to 71.9%)'.

    Examples
    --------
    >>> pct_ci(0.703097, 0.687745, 0.718791)
    '70.3% (68.8% to 71.9%)'
    """
    return f"{pct(est, digits)} ({pct(lower, digits)} to {pct(upper, digits)})"


def value_ci(est, lower, upper, digits: int = 3) -> str:
    """'1,234 (1,100 to 1,390)'; without interval limits, the estimate alone.

    Examples
    --------
    >>> value_ci(1234.4, 1100.2, 1390.9), value_ci(35.0, 32.0, float("nan"))
    ('1,234 (1,100 to 1,391)', '35 (32 to NA)')
    >>> value_ci(2.5, float("nan"), float("nan"))
    '2.50'
    """
    if pd.isna(lower) and pd.isna(upper):
        return number(est, digits)
    return f"{number(est, digits)} ({number(lower, digits)} to {number(upper, digits)})"


def km_table(summary: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Kaplan–Meier summary for reading: counts, median (CI), retention in % (CI), RMST ± SE.

    Horizons beyond a segment's follow-up are said in ``note`` and shown blank, never as
    "NA (NA to NA)" (the report chooses horizons within follow-up, so this is rare); a median
    whose upper limit is not reached says so.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> s = cs.KaplanMeier().fit(data).summarize(horizons=[12], rmst_horizon=12)
    >>> km_table(s, "month").iloc[0, 2:5].tolist()
    ['not reached', '84.3% (83.4% to 85.2%)', '10.8 ± 0.0381']
    """
    s = summary
    out = pd.DataFrame(
        {"customers": s["n"].astype(int), "churned": s["events"].astype(int)}, index=s.index
    )
    out[f"median tenure, {unit}s (95% CI)"] = [
        "not reached" if pd.isna(m) else value_ci(m, lo, hi).replace(" to NA)", " to not reached)")
        for m, lo, hi in zip(s["median"], s["median_lower"], s["median_upper"], strict=True)
    ]
    for col in s.columns:
        if col.startswith("retention_") and not col.endswith(("_lower", "_upper")):
            h = col.removeprefix("retention_")
            out[f"retention at {h} {unit}s (95% CI)"] = [
                "" if pd.isna(v) else pct_ci(v, lo, hi)
                for v, lo, hi in zip(s[col], s[f"{col}_lower"], s[f"{col}_upper"], strict=True)
            ]
        if col.startswith("rmst_") and not col.endswith("_std_err"):
            h = col.removeprefix("rmst_")
            out[f"RMST to {h} {unit}s (± SE)"] = [
                "" if pd.isna(v) else f"{number(v)} ± {number(se)}"
                for v, se in zip(s[col], s[f"{col}_std_err"], strict=True)
            ]
    out["note"] = s["note"].fillna("")
    return out


def churn_rate_table(rates: pd.DataFrame) -> pd.DataFrame:
    """Churn rates per period in % with their Wilson 95% interval; small risk sets marked.

    ``rates`` is :func:`churnsurv.churn_rates` output (its ``*_pct`` columns are percentages).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> churn_rate_table(cs.churn_rates(data, period="month")).iloc[1].astype(str).tolist()
    ['1', '7032', '380', '5.40% (4.90% to 5.96%)', '94.6%', '']
    """
    out = pd.DataFrame(
        {
            "period": rates["period"],
            "customers at start": rates["customers_start"].astype(int),
            "churned": rates["churned"].astype(int),
        }
    )
    out["churn rate (95% CI)"] = [
        pct_ci(v / 100, lo / 100, hi / 100, digits=2)
        for v, lo, hi in rates[["churn_rate_pct", "churn_rate_lower_pct", "churn_rate_upper_pct"]]
        .to_numpy(dtype=float)
        .tolist()
    ]
    out["retention rate"] = [pct(v / 100) for v in rates["retention_rate_pct"]]
    out["flag"] = np.where(rates["small_risk_set"], "fewer than 30 at start", "")
    return out


def clv_table(summary: pd.DataFrame) -> pd.DataFrame:
    """CLV by segment for reading: customers, CLV with its bootstrap interval, rounded.

    Examples
    --------
    >>> s = pd.DataFrame({"n": [10], "clv": [1234.56], "clv_lower": [1100.0],
    ...                   "clv_upper": [1390.0]}, index=pd.Index(["a"], name="segment"))
    >>> clv_table(s).iloc[0].astype(str).tolist()
    ['10', '1,235 (1,100 to 1,390)']
    """
    out = pd.DataFrame(index=summary.index)
    if "n" in summary:
        out["customers"] = summary["n"].astype(int)
    lower = summary.get("clv_lower", pd.Series(np.nan, index=summary.index))
    upper = summary.get("clv_upper", pd.Series(np.nan, index=summary.index))
    out["CLV (95% bootstrap CI)"] = [
        value_ci(v, lo, hi) for v, lo, hi in zip(summary["clv"], lower, upper, strict=True)
    ]
    return out


def discount_sentence(annual_rate: float, unit: str) -> str:
    """The discount rate in words, annual and per period (converted exactly).

    Examples
    --------
    >>> discount_sentence(0.10, "month")
    'Future margins are discounted at 10% a year (0.797% per month, (1 + 10%)^(1/12) - 1).'
    """
    from churnsurv.clv.discount import YEARS_PER_UNIT

    years = YEARS_PER_UNIT[unit]
    per = (1 + annual_rate) ** years - 1
    power = f"1/{round(1 / years):g}" if years < 1 else f"{years:g}"
    return (
        f"Future margins are discounted at {100 * annual_rate:g}% a year "
        f"({number(100 * per)}% per {unit}, (1 + {100 * annual_rate:g}%)^({power}) - 1)."
    )


def assumption_rows(assumptions: dict, *, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """The assumptions of a result as a two-column table without empty rows.

    ``None`` values, "none" strata and the keys in ``drop`` (e.g. the discount rates, said once
    in words by :func:`discount_sentence`) are left out; numbers are rounded.

    Examples
    --------
    >>> assumption_rows({"horizon": 60, "strata": None, "tail": "sBG",
    ...                  "discount rate per month": 0.00797}, drop=("discount rate per month",))
               value
    horizon       60
    tail         sBG
    """
    rows = {}
    for key, value in assumptions.items():
        if key in drop or value is None:
            continue
        if isinstance(value, str) and value.strip().lower() in ("none", ""):
            continue
        if isinstance(value, float | np.floating):
            value = number(value)
        rows[str(key)] = str(value)
    return pd.DataFrame({"value": pd.Series(rows, dtype=object)})
