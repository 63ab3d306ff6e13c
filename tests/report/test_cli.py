"""The console script: the demo, and bad options stopped by the library's own rules."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import churnsurv as cs
import churnsurv.report.run as report_run
from churnsurv.exceptions import DataValidationError
from churnsurv.report.cli import main


def test_demo_prints_a_real_analysis(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "churnsurv", "demo", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # Telco PROVENANCE.md: 7,043 customers, 1,869 churned.
    assert "customers: 7043" in out and "events: 1869" in out
    assert "Month-to-month" in out and "Two year" in out


@pytest.fixture
def no_notebook(monkeypatch):
    """Make running the notebook an error: a bad option must stop before it."""

    def refuse(*args, **kwargs):
        raise AssertionError("the report notebook ran although an option was bad")

    monkeypatch.setattr(report_run, "_execute", refuse)


# (options, what the one message line must say besides the option's name)
BAD_OPTIONS = [
    (["--annual-discount-rate", "5"], "absurdly large"),  # exited 0 with CLV "skipped"
    (["--annual-discount-rate", "-2"], "greater than -1"),
    (["--annual-discount-rate", "ten"], "must be a number"),
    (["--annual-discount-rate", "inf"], "must be finite"),
    (["--horizon", "0"], "positive whole number"),
    (["--horizon", "1.5"], "positive whole number"),
    (["--horizon", "-3"], "positive whole number"),
    (["--horizon", "100000000"], "at most 10,000 periods"),
    (["--horizon", "sixty"], "positive whole number"),
    (["--within", "0"], "positive whole number"),
    (["--within", "2.5"], "positive whole number"),
    (["--within", "100000000"], "at most 10,000 periods"),
    (["--time-unit", "fortnight"], "use one of ['day', 'week', 'month', 'year']"),
    (["--seed", "-1"], "from 0 to 2**32 - 1"),
    (["--seed", str(2**40)], "from 0 to 2**32 - 1"),
    (["--seed", "0.5"], "from 0 to 2**32 - 1"),
    (["--top", "0"], "whole number >= 1"),
    (["--top", "many"], "whole number >= 1"),
    (["--min-cox-events", "-1"], "whole number >= 0"),
    (["--dataset", "iris"], "use one of ['telco']"),
    (["--date-format", "dd/mm/yyyy"], "is not a date format"),  # issue #17: new options
    (["--date-format", "%d/%m"], "is not a date format"),
    (["--sep", ":"], "is not understood; use one of"),
    (["--bins", "1"], "whole number >= 2"),
    (["--bins", "four"], "whole number >= 2"),
    (["--max-excluded", "5"], "share from 0 to 1"),
    (["--max-excluded", "150%"], "share from 0 to 1"),
    (["--offer-cost", "-5"], "finite amount >= 0"),
    (["--offer-cost", "free"], "finite amount >= 0"),
    (["--success-rate", "1.5"], "probability in [0, 1]"),
    (["--success-rate", "25"], "probability in [0, 1]"),
    (["--n-boot", "1"], "whole number >= 2"),
    (["--clv-tail", "exponential"], "use one of ['sbg', 'weibull', 'lognormal', 'loglogistic'"),
]


@pytest.mark.parametrize(("args", "says"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_bad_option_stops_before_anything_runs(args, says, tmp_path, capsys, no_notebook):
    out = tmp_path / "out"
    argv = ["report", *(["--dataset", "telco"] if "--dataset" not in args else []), *args]
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1, err  # one message, no usage text, no traceback
    assert lines[0].startswith("churnsurv report: error: "), err
    option = args[0]
    assert f"{option}=" in lines[0] and says in lines[0], err
    assert not out.exists() and not (out / "report.ipynb").exists()  # nothing written


def test_bad_option_with_a_file_stops_before_the_file_is_read(tmp_path, capsys, no_notebook):
    missing = tmp_path / "missing.csv"
    argv = ["report", str(missing), "--duration", "t", "--event", "e", "--horizon", "0"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--horizon=0" in err and "cannot read" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--dataset", "telco", "--out"],  # option without its value
        ["report", "--dataset", "telco", "--out", "x", "--no-such-option", "1"],
        ["report", "--dataset", "telco"],  # --out missing
        ["reprot", "--dataset", "telco", "--out", "x"],
    ],
)
def test_usage_errors_are_one_line_and_status_2(argv, capsys, no_notebook):
    assert main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("churnsurv: error: "), lines


@pytest.mark.parametrize(
    ("option", "text", "argument", "value"),
    [
        ("--annual-discount-rate", "5", "annual_discount_rate", 5),
        ("--annual-discount-rate", "-2", "annual_discount_rate", -2),
        ("--horizon", "0", "horizon", 0),
        ("--horizon", "100000000", "horizon", 100000000),
        ("--within", "0", "within", 0),
        ("--time-unit", "fortnight", "time_unit", "fortnight"),
    ],
)
def test_cli_refuses_with_the_library_rule_and_message(
    option, text, argument, value, telco, capsys, no_notebook, tmp_path
):
    """The CLI and the library refuse the same value with the same sentence."""
    with pytest.raises(DataValidationError) as library:
        if argument == "within":
            cox = cs.CoxModel("Contract").fit(telco)
            cs.value_at_risk(cox, telco, within=value, annual_discount_rate=0.1, horizon=60)
        elif argument == "time_unit":
            frame = cs.datasets.load_telco()
            cs.prepare(frame, duration="tenure", event="Churn", event_value="Yes", time_unit=value)
        else:
            args = dict(annual_discount_rate=0.1, horizon=60) | {argument: value}
            cs.clv(cs.KaplanMeier().fit(telco), telco, **args)
    assert main(["report", "--dataset", "telco", option, text, "--out", str(tmp_path)]) == 2
    cli = capsys.readouterr().err.removeprefix("churnsurv report: error: ").strip()
    said = str(library.value)
    assert said.startswith(f"{argument}=")
    assert cli == f"{option}=" + said.removeprefix(f"{argument}=")


def test_a_fifo_input_is_refused_not_waited_on(tmp_path):
    """Before: the report read a named pipe twice (sha256, then rows) and hung (issue 12)."""
    import os

    from churnsurv.report.io import read_table

    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)
    with pytest.raises(cs.DataValidationError, match="not a regular file"):
        read_table(fifo)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--arm", "Contract"], "--arm 'Contract' must hold exactly two arms (strategies); it "
         "holds 3: ['Month-to-month', 'One year', 'Two year']."),
        (["--arm", "Partner", "--arm-cost", "Maybe=10"], "--arm-cost: ['Maybe'] are not values of "
         "--arm 'Partner'; its arms are ['No', 'Yes']."),
        (["--arm", "Partner", "--arm-cost", "=10"], "give one amount for every arm (40) or "
         "ARM=AMOUNT per arm"),
        (["--arm", "Prtner"], "column 'Prtner': missing column"),
        (["--arm-cost", "40"], "--arm-cost needs --arm COLUMN"),
        (["--arm-cost-per-period", "4"], "--arm-cost-per-period needs --arm COLUMN"),
        (["--arm", "Partner", "--arm-cost", "Yes=ten"], "--arm-cost='ten' must be a finite "
         "amount >= 0."),
        (["--arm", "Partner", "--arm-cost", "-3"], "--arm-cost=-3 must be a finite amount >= 0."),
    ],
)  # fmt: skip
def test_a_bad_experiment_arm_stops_before_anything_runs(args, says, tmp_path, capsys, no_notebook):
    """--arm needs a column of exactly two arms; --arm-cost names them (issue 15)."""
    out = tmp_path / "out"
    assert main(["report", "--dataset", "telco", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("churnsurv report: error: ") and says in err, err
    assert len(err.splitlines()) == 1 and not out.exists()


def test_offer_cost_and_success_rate_follow_the_library_rule(telco, capsys, tmp_path, no_notebook):
    """The CLI refuses --success-rate as profit_threshold refuses success_rate."""
    frame = pd.DataFrame({"p_churn": [0.5], "residual_clv": [100.0]})
    with pytest.raises(DataValidationError) as library:
        cs.profit_threshold(frame, offer_cost=10, success_rate=1.5)
    assert (
        main(["report", "--dataset", "telco", "--success-rate", "1.5", "--out", str(tmp_path)]) == 2
    )
    cli = capsys.readouterr().err.removeprefix("churnsurv report: error: ").strip()
    assert cli == "--success-rate=" + str(library.value).removeprefix("success_rate=")


def test_entry_column_must_exist_and_is_checked_before_the_notebook(capsys, no_notebook, tmp_path):
    """--entry goes to prepare(entry=...) like every column option (issue 17)."""
    code = main(
        ["report", "--dataset", "telco", "--entry", "signup_tenure", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2 and "signup_tenure" in err, err
