"""Issue 17, "a report a manager can act on": the whole report on a table followed for 12 months
(with entry times, --entry), run as a user types the command (one full run, about a minute,
most of it kernel start-up). The Telco report's briefing is tested in test_report.py, on its
shared Telco run.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest


def _text(page: str) -> str:
    """The visible text of a report page (tags dropped, entities decoded, spaces collapsed)."""
    body = page[page.index("<body") :]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def twelve(tmp_path_factory, twelve_month_table):
    """The 12-month table with a fifth of the customers entering late (entry 1-6 months)."""
    tmp = tmp_path_factory.mktemp("twelve")
    raw = twelve_month_table.copy()
    gen = np.random.default_rng(11)
    late = gen.random(len(raw)) < 0.2
    raw["start_tenure"] = np.where(late, gen.integers(1, 7, len(raw)), 0)
    raw["months"] = raw["months"] + raw["start_tenure"]
    raw.to_csv(tmp / "saas.csv", index=False)
    out = tmp / "out"
    args = [
        sys.executable, "-m", "churnsurv.report.cli", "report", str(tmp / "saas.csv"),
        "--id", "account", "--duration", "months", "--entry", "start_tenure",
        "--event", "churned", "--by", "plan", "--by", "region",
        "--formula", "plan + region + usage", "--margin", "spend", "--out", str(out), "--quiet",
    ]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    return out, proc, raw


def test_twelve_month_report_has_no_na_columns_and_adapted_horizons(twelve):
    out, proc, _ = twelve
    assert proc.returncode == 0, proc.stderr
    km = pd.read_csv(out / "tables" / "km_summary.csv")
    assert {"retention_12", "rmst_12"} <= set(km.columns)
    assert not any(c.startswith(("retention_24", "rmst_24")) for c in km.columns)
    assert not km.filter(like="retention_12").isna().any().any()
    page = (out / "report.html").read_text(encoding="utf-8")
    text = _text(page)
    assert "NA (NA to NA)" not in text and " to NA)" not in text
    assert "retention at 12 months (95% CI)" in text and "RMST to 12 months" in text


def test_twelve_month_report_values_within_follow_up_and_says_how_far_it_extrapolates(twelve):
    out, _, raw = twelve
    text = _text((out / "report.html").read_text(encoding="utf-8"))
    data_max = int(raw["months"].max())
    clv = pd.read_csv(out / "tables" / "clv_by_segment.csv")
    assert (clv["clv_lower"] < clv["clv"]).all() and (clv["clv"] < clv["clv_upper"]).all()
    # the shortest segment follow-up is 17 months (tenure at entry + 12 at most): the default
    # five-year horizon is cut to it
    assert "CLV over 17 months (five years, cut to the follow-up)" in text
    assert "Future margins are discounted at 10% a year (0.797% per month" in text
    assert f"past the longest observed tenure ({data_max} months)" in text
    totals = pd.read_csv(out / "tables" / "value_at_risk_by_segment.csv")
    var = pd.read_csv(out / "tables" / "value_at_risk.csv")
    everyone = totals[totals["by"] == "(all customers)"].iloc[0]
    assert everyone["total"] == pytest.approx(var["value_at_risk"].sum())
    assert everyone["ci_lower"] < everyone["total"] < everyone["ci_upper"]
    by_plan = totals[totals["by"] == "plan"].set_index("segment")
    assert by_plan["total"].sum() == pytest.approx(everyone["total"])
    # every segment under SADDLEPOINT_MIN customers: the seeded resamples, and the caption says so
    assert (totals["customers"] < 10_000).all()
    assert set(totals["method"]) == {"bootstrap, 1,000 resamples"}
    assert "Its quantiles come from 1,000 seeded resamples." in text
    # under a million rows the CSV holds them all, and the caption counts them (write_table)
    assert f"All {len(var):,} active customers: tables/value_at_risk.csv. Section 8" in text
    assert not (out / "tables" / "value_at_risk.parquet").exists()


def test_twelve_month_key_findings_name_the_true_drivers_and_no_truncation_caveat(twelve):
    """The simulation has proportional hazards (HR 0.35 pro, 0.6 plus vs basic, exp(0.4) =
    1.49 per unit of usage; region none): the model passes its check, the findings name pro,
    plus and usage in that order with intervals covering the truth, and region not at all."""
    out, _, raw = twelve
    page = (out / "report.html").read_text(encoding="utf-8")
    text = _text(page)
    top = text[text.index("Key findings") : text.index("1. The data")]
    drivers = top[top.index("What drives churn.") : top.index("What customers are worth.")]
    assert "which passed its proportional-hazards check" in drivers
    found = re.findall(r"(plan: \w+ \(vs basic\)|usage) churns at [\d.]+ times the rate "
                       r"\(95% CI ([\d.]+) to ([\d.]+)\)", drivers)  # fmt: skip
    truth = {"plan: pro (vs basic)": 0.35, "plan: plus (vs basic)": 0.6, "usage": np.exp(0.4)}
    assert [f[0] for f in found] == list(truth)
    for label, lo, hi in found:
        assert float(lo) < truth[label] < float(hi), label
    assert "region" not in drivers and "not causes" in drivers
    assert "Left truncation" not in text and "Caveat" not in top  # --entry was given
    assert "No difference shown by region" in top
    remedy = pd.read_csv(out / "tables" / "ph_remedy.csv")
    assert remedy["action"].eq("none needed").all()


def test_clv_tail_none_keeps_clv_within_follow_up_and_says_why_value_at_risk_is_missing(
    tmp_path, twelve_month_table
):
    twelve_month_table.head(800).to_csv(tmp_path / "saas.csv", index=False)
    args = [
        sys.executable, "-m", "churnsurv.report.cli", "report", str(tmp_path / "saas.csv"),
        "--id", "account", "--duration", "months", "--event", "churned", "--by", "plan",
        "--formula", "plan + usage", "--margin", "spend", "--horizon", "36",
        "--clv-tail", "none", "--out", str(tmp_path / "out"), "--quiet",
    ]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    text = _text((out / "report.html").read_text(encoding="utf-8"))
    assert "--horizon 36 reaches past the follow-up (12 months) and --clv-tail is none: CLV is " \
        "valued over 12 months." in text  # fmt: skip
    assert "Value at risk was skipped because --clv-tail is none" in text
    assert "--clv-tail is none: residual CLV past the follow-up needs a tail" in text
    top = text[text.index("Key findings") : text.index("1. The data")]
    assert "Over 12 months (discounted at 10% a year)" in top and "No call list" in top
    clv = pd.read_csv(out / "tables" / "clv_by_segment.csv")
    assert set(clv["segment"]) == {"all", "basic", "plus", "pro"}
    assert not (out / "tables" / "value_at_risk.csv").exists()
