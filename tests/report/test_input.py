"""``churnsurv report`` never loses data quietly (issue #17): day-first dates, exclusions on the
terminal with --max-excluded, delimiters and Excel, a continuous --by.

The SaaS-like table is simulated (tests/conftest.py ``simulate_saas_table``): 2,000 customers,
dd/mm/yyyy dates, written with semicolons; its truth (ISO dates, days observed) is the reference.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
import churnsurv.report.run as report_run
from churnsurv.exceptions import DataValidationError
from churnsurv.report.cli import main
from churnsurv.report.io import bin_segments, read_input, read_table, sniff_delimiter

SAAS_OPTIONS = ["--start-date", "signup", "--end-date", "cancelled", "--id", "account_id"]


class _Reached(Exception):
    """The notebook would have run now: every check before it passed."""


@pytest.fixture
def stop_at_notebook(monkeypatch):
    """Replace running the notebook by recording its parameters (and stopping with Ctrl-C)."""
    seen: dict = {}

    def record(params, out, progress, timeout, kernel=None):
        seen.update(params)
        raise KeyboardInterrupt

    monkeypatch.setattr(report_run, "_execute", record)
    return seen


@pytest.fixture
def saas_csv(saas_table, tmp_path):
    path = tmp_path / "saas.csv"
    columns = ["account_id", "signup", "cancelled", "plan", "monthly_fee"]
    saas_table[columns].to_csv(path, sep=";", index=False)
    return path


def _report(capsys, *argv):
    code = main(["report", *map(str, argv)])
    return code, capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# day-first dates
# --------------------------------------------------------------------------------------------
def test_day_first_file_stops_and_names_date_format(saas_csv, tmp_path, capsys, stop_at_notebook):
    # Before: 1,333 of 2,000 rows excluded, the cutoff read as 12 January, exit status 0.
    out = tmp_path / "out"
    args = [saas_csv, *SAAS_OPTIONS, "--cutoff", "2024-12-01", "--out", out]
    code, err = _report(capsys, *args)
    assert code == 2 and not stop_at_notebook and not out.exists(), err
    assert "column 'signup'" in err and "--date-format %d/%m/%Y" in err and "Traceback" not in err
    code, err = _report(capsys, *args[:-4], "--cutoff", "01/12/2024", "--out", out)
    assert code == 2 and "--cutoff='01/12/2024' gives day and month" in err


def test_day_first_file_with_its_format_keeps_every_row(
    saas_csv, tmp_path, capsys, stop_at_notebook
):
    argv = [saas_csv, *SAAS_OPTIONS, "--cutoff", "01/12/2024", "--date-format", "%d/%m/%Y"]
    code, err = _report(capsys, *argv, "--by", "plan", "--out", tmp_path / "out")
    assert code == 130, err  # stopped where the notebook would run: every check passed
    assert stop_at_notebook["date_format"] == "%d/%m/%Y" and stop_at_notebook["sep"] is None
    assert "read file saas.csv, semicolon-separated text (detected): 2,000 rows, 5 columns" in err
    assert "excluded" not in err  # nothing excluded, so nothing to say


# --------------------------------------------------------------------------------------------
# exclusions on the terminal, --max-excluded
# --------------------------------------------------------------------------------------------
@pytest.fixture
def partly_broken_csv(tmp_path):
    """100 customers: 8 with a negative tenure, 4 with a churn label that is neither Yes nor No."""
    rng = np.random.default_rng(5)
    tenure = rng.integers(1, 40, 100).astype(float)
    tenure[:8] = -1
    churn = rng.choice(["Yes", "No"], 100)
    churn[8:12] = "maybe"
    path = tmp_path / "broken.csv"
    pd.DataFrame({"id": range(100), "tenure": tenure, "churn": churn}).to_csv(path, index=False)
    return path


def test_exclusions_above_the_limit_stop_with_counts_per_reason(
    partly_broken_csv, tmp_path, capsys, stop_at_notebook
):
    argv = [partly_broken_csv, "--duration", "tenure", "--event", "churn", "--event-value", "Yes"]
    code, err = _report(capsys, *argv, "--out", tmp_path / "out")
    assert code == 2 and not stop_at_notebook, err
    # 8 negative tenures + 4 unknown labels = 12 of 100 rows, above the default 5%
    assert "error: 12 of 100 rows (12%) break a validation rule, more than --max-excluded" in err
    assert "8 negative duration; 4 event value outside the declared set" in err
    assert "--max-excluded 0.12" in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("limit", ["0.12", "20%"])
def test_exclusions_within_the_limit_are_said_and_the_report_goes_on(
    partly_broken_csv, tmp_path, capsys, stop_at_notebook, limit
):
    argv = [partly_broken_csv, "--duration", "tenure", "--event", "churn", "--event-value", "Yes"]
    code, err = _report(capsys, *argv, "--max-excluded", limit, "--quiet", "--out", tmp_path / "o")
    assert code == 130 and stop_at_notebook, err
    said = [line for line in err.splitlines() if "excluded" in line]
    assert said == [
        "churnsurv report: excluded 12 of 100 rows (12%) that break a validation rule (listed in "
        "the report): 8 negative duration; 4 event value outside the declared set {'No', 'Yes'}."
    ]


# --------------------------------------------------------------------------------------------
# delimiters and Excel
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sep", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"),
                                           ("|", "pipe")])  # fmt: skip
def test_the_delimiter_is_sniffed_and_said(sep, name, tmp_path):
    table = pd.DataFrame({"id": ["0042", "0043"], "plan": ["Basic, monthly", "Pro; yearly"],
                          "fee": [12.5, 8.0]})  # fmt: skip
    path = tmp_path / "t.txt"
    table.to_csv(path, sep=sep, index=False)
    assert sniff_delimiter(path) == sep
    frame = read_table(path, id_col="id")
    pd.testing.assert_frame_equal(frame, table)
    assert frame.attrs["format"] == f"{name}-separated text (detected)"


def test_sep_overrides_the_sniffed_delimiter(tmp_path):
    path = tmp_path / "one_column.csv"
    path.write_text("id;plan\n1;a\n2;b\n")
    assert read_table(path, sep="tab").shape == (2, 1)  # as asked: one column "id;plan"
    assert read_table(path).columns.tolist() == ["id", "plan"]
    assert read_table(path, sep=";").attrs["format"] == "semicolon-separated text (given)"


@pytest.mark.parametrize("sep", [";", "\t"])
def test_quoted_line_breaks_past_the_sniffed_sample_do_not_mislead(sep, tmp_path):
    """3,000 records whose notes hold a line break and other delimiters; the 64 KiB sample
    ends inside a quoted note."""
    n = 3000
    notes = ["first line\nsecond; line, with | everything\t"] * n
    table = pd.DataFrame({"id": range(n), "note": notes, "fee": np.arange(n) * 1.5})
    path = tmp_path / "notes.csv"
    table.to_csv(path, sep=sep, index=False)
    assert path.stat().st_size > 1 << 16
    assert sniff_delimiter(path) == sep
    pd.testing.assert_frame_equal(read_table(path), table)


# Each file read by pyarrow's parser (the fast path) and by pandas' own (the reference).
ARROW_CASES = {
    "ids with leading zeros, a missing fee": "id,tenure,churn,fee\n0042,3,Yes,12.5\n0043,12,No,\n",
    "True/False with a hole": "id,flag,b2\na,True,true\nb,False,\nc,TRUE,false\n",
    "missing-value text": "id,x,s\na,NA,NULL\nb,1,n/a\nc,2,ok\n",
    "dates stay text": "id,start,end\na,2024-01-01,2024-02-01\nb,2024-03-05,\n",
    "timestamps stay text": "id,start\na,2024-01-01 10:00:00\nb,2024-03-05T00:00:00Z\n",
    "quoted delimiters": 'id,plan\na,"Basic, monthly"\nb,"Pro ""x"""\n',
    "quoted line break": 'id,plan\na,"Basic\nmonthly"\nb,Pro\n',
    "an empty column": "id,x,y\na,,1\nb,,2\n",
    "a byte-order mark": "\ufeffid,x\na,1\n",
    "a repeated header": "id,x,x\na,1,2\n",
    "a header only": "id,x\n",
    "numbers and text": "id,x\na,1\nb,abc\n",
    "floats": "id,x\na,0.1\nb,1e-5\nc,3.14159265358979311599796346854\n",
    "blank lines": "id,x\n\na,1\n\nb,2\n",
    "formulas": "id,<script>\n=1+1,@x\n",
}


@pytest.mark.parametrize("text", ARROW_CASES.values(), ids=ARROW_CASES.keys())
def test_the_fast_reader_reads_as_pandas_does(text, tmp_path):
    """pyarrow's parser (or, where it cannot, pandas' own) gives pandas' frame. The reference
    parses floats exactly (float_precision="round_trip"), as pyarrow does; pandas' default
    parser may be one unit in the last place off (3.1415926535897927 for the last float)."""
    path = tmp_path / "t.csv"
    path.write_text(text)
    expected = pd.read_csv(path, dtype={"id": str}, float_precision="round_trip")
    pd.testing.assert_frame_equal(read_table(path, id_col="id"), expected, check_exact=True)


def test_the_fast_reader_reads_the_telco_file_as_pandas_does():
    from churnsurv.report.io import dataset_path

    path = dataset_path("telco")
    expected = pd.read_csv(path, dtype={"customerID": str}, float_precision="round_trip")
    frame = read_table(path, id_col="customerID")
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)


def test_a_compressed_semicolon_file_is_sniffed(tmp_path):
    path = tmp_path / "t.csv.gz"
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_csv(path, sep=";", index=False)
    assert read_table(path).columns.tolist() == ["a", "b"]


def test_excel_is_read_from_its_first_sheet(tmp_path):
    table = pd.DataFrame({"id": [42, 43], "tenure": [3, 12], "churn": ["Yes", "No"]})
    path = tmp_path / "customers.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="Customers", index=False)
        table.head(1).to_excel(writer, sheet_name="Notes", index=False)
    frame, source, _ = read_input(path, id_col="id")
    assert frame["id"].tolist() == ["42", "43"] and frame["tenure"].tolist() == [3, 12]
    assert source == "file customers.xlsx, Excel, sheet 'Customers' (the first of 2)"


def test_excel_without_openpyxl_is_one_clear_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "customers.xlsx"
    pd.DataFrame({"t": [1], "e": [1]}).to_excel(path, index=False, engine="openpyxl")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl raises ImportError
    code, err = _report(capsys, path, "--duration", "t", "--event", "e", "--out", tmp_path / "o")
    # Before: "not UTF-8 text (invalid start byte at byte 10)"
    assert code == 2 and err.strip() == (
        f"churnsurv report: error: cannot read '{path}': Excel file: save it as CSV or "
        "pip install openpyxl"
    )


EXCEL_LOOKALIKES = [
    ("old.xls", "old Excel .xls file: save it as CSV"),
    ("renamed.csv", "looks like an Excel workbook"),
]


@pytest.mark.parametrize(("name", "says"), EXCEL_LOOKALIKES)
def test_other_excel_files_are_named_as_such(name, says, tmp_path):
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(128, 256)) * 4)
    with pytest.raises(DataValidationError, match=says):
        read_table(path)


# --------------------------------------------------------------------------------------------
# --by on a continuous column, --bins
# --------------------------------------------------------------------------------------------
def test_continuous_by_is_refused_before_anything_runs(
    saas_csv, tmp_path, capsys, stop_at_notebook
):
    argv = [saas_csv, *SAAS_OPTIONS, "--cutoff", "01/12/2024", "--date-format", "%d/%m/%Y"]
    code, err = _report(capsys, *argv, "--by", "monthly_fee", "--out", tmp_path / "out")
    # Before: 1,722 Kaplan-Meier curves, then "LinAlgError: Singular matrix" in the log-rank cell
    assert code == 2 and not stop_at_notebook, err
    assert "--by='monthly_fee': 1,722 levels" in err and "--bins 4" in err


def test_bins_compare_a_numeric_column_in_quantile_bins(
    saas_csv, tmp_path, capsys, stop_at_notebook
):
    argv = [saas_csv, *SAAS_OPTIONS, "--cutoff", "01/12/2024", "--date-format", "%d/%m/%Y"]
    argv += ["--by", "monthly_fee", "--by", "plan", "--bins", "4"]
    code, err = _report(capsys, *argv, "--out", tmp_path / "out")
    assert code == 130, err
    assert stop_at_notebook["by"] == ["monthly_fee", "plan"] and stop_at_notebook["bins"] == 4
    assert "'monthly_fee' is compared in quantile bins, as 'monthly_fee (quantile bin)'" in err


def test_bin_segments_cuts_at_quantiles_like_pandas(saas_table):
    frame, by = bin_segments(saas_table, ["monthly_fee", "plan"], 4)
    assert (
        by == ["monthly_fee (quantile bin)", "plan"]
        and "monthly_fee (quantile bin)" not in saas_table
    )
    binned = frame[by[0]]
    # pandas' quartiles of the same values are the reference
    expected = pd.qcut(saas_table["monthly_fee"], 4).cat.codes
    assert (binned.cat.codes == expected).all() and binned.cat.ordered
    q = saas_table["monthly_fee"].quantile([0, 0.25, 0.5, 0.75, 1]).to_numpy()
    assert binned.cat.categories[0] == f"{q[0]:.4g} to {q[1]:.4g}"
    assert binned.cat.categories[-1] == f"{q[3]:.4g} to {q[4]:.4g}"
    assert bin_segments(saas_table, ["monthly_fee"], None)[0] is saas_table


# --------------------------------------------------------------------------------------------
# the case end to end
# --------------------------------------------------------------------------------------------
def test_the_saas_table_gives_correct_results_end_to_end(saas_table, saas_csv, tmp_path, capsys):
    """dd/mm/yyyy dates, semicolons and a continuous --by: a complete, correct report."""
    out = tmp_path / "out"
    argv = [saas_csv, *SAAS_OPTIONS, "--cutoff", "01/12/2024", "--date-format", "%d/%m/%Y"]
    argv += ["--by", "monthly_fee", "--bins", "4", "--quiet", "--out", out]
    code, err = _report(capsys, *argv)
    assert code == 0, err
    km = pd.read_csv(out / "tables" / "km_summary.csv")
    everyone = km[km["by"] == "(all customers)"].iloc[0]
    # reference: the simulation's ISO dates, read without any format
    iso = saas_table.assign(signup=saas_table["signup_iso"], cancelled=saas_table["cancelled_iso"])
    data = cs.prepare(iso, start_date="signup", end_date="cancelled", cutoff="2024-12-01",
                      id="account_id")  # fmt: skip
    expected = cs.KaplanMeier().fit(data).summary.iloc[0]
    assert everyone["n"] == 2000 and everyone["events"] == int(saas_table["true_churned"].sum())
    assert everyone["median"] == pytest.approx(expected["median"], rel=1e-12)
    bins = km[km["by"] == "monthly_fee (quantile bin)"]
    assert len(bins) == 4 and bins["n"].tolist() == [500, 500, 500, 500]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "semicolon-separated text (detected)" in html


# --------------------------------------------------------------------------------------------
# options suggested by messages
# --------------------------------------------------------------------------------------------
#: Arguments that library messages suggest ("pass X=") which ``churnsurv report`` does not offer,
#: and why the report's user never needs them.
API_ONLY = {
    "allow_negative_margin": "CLV, value at risk and value lost by reason in the report need "
    "margins >= 0; rows with a negative margin are counted on the terminal per reason",
    "survivors": "aggregate sBG fits; the report fits the sBG customer by customer",
    "on_invalid": "the report always prepares with on_invalid='drop' and lists the rows",
    "entry": "prepare(entry=) is not passed by the report, so its argument errors cannot occur",
    "reason_groups": "the report analyses the reasons as given (no group_reasons call)",
    "kind": "cs.evaluate (prediction metrics) is not part of the report",
    "collapse": "a Cox engine option the report does not use",
    "data": "CoxModel partial effects, not part of the report",
    "robust": "case weights, not used by the report",
    "covariates": "the message says to rename the column, the way on the command line",
}


def _messages():
    """(file, line, text) of every string in a raise, a Violations.add or a warning."""
    import ast
    from pathlib import Path

    root = Path(cs.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if "report" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                found = node.exc
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("add", "warn"):
                found = node
            elif isinstance(node, ast.Dict):  # tables of advice, e.g. rules._NOT_NUMBERS
                found = node
            else:
                continue
            parts = [n.value for n in ast.walk(found) if isinstance(n, ast.Constant)]
            text = " ".join(p for p in parts if isinstance(p, str))
            yield path.name, getattr(node, "lineno", 0), text


def test_every_argument_a_message_suggests_has_a_flag_or_is_named():
    import argparse
    import re

    from churnsurv.report.cli import _add_report_options

    parser = argparse.ArgumentParser()
    _add_report_options(parser)
    flags = {
        opt[2:].replace("-", "_"): opt
        for action in parser._actions
        for opt in action.option_strings
        if opt.startswith("--")
    }
    suggests = re.compile(r"(?i)\b(?:pass|use|set|refit with|give|with)\s+([a-z_]+)=")
    missing = []
    for name, line, text in _messages():
        for argument in suggests.findall(text):
            named = argument in flags or argument in API_ONLY or "churnsurv report: --" in text
            if not named:
                missing.append(f"{name}:{line} {argument}=")
    assert missing == []
    # the ones this issue found: the CLV tail names --horizon, event labels name --event-value
    texts = " ".join(text for _, _, text in _messages())
    assert texts.count("shorten the horizon (churnsurv report: --horizon)") == 2
    assert "churnsurv report: --event-value Yes" in texts
