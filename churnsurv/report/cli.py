"""Command line interface: ``churnsurv report`` (and ``churnsurv demo``).

Only the console script (and ``python -m churnsurv``) imports this module.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

_REPORT_EXAMPLES = """\
examples:
  churnsurv report customers.csv --duration tenure --event Churn --event-value Yes \\
      --id customerID --by Contract --by InternetService \\
      --formula "Contract + MonthlyCharges" --margin MonthlyCharges --out report/
  churnsurv report subscriptions.parquet --start-date signup --end-date cancelled \\
      --cutoff 2024-12-31 --time-unit month --by plan --out report/
  churnsurv report --dataset telco --out report/      # bundled data, sensible defaults
  churnsurv report events.parquet --events --customer-id customer_id --timestamp ts \\
      --inactivity 6M --cutoff 2024-12-31 --segment channel --out report/

The folder given with --out receives report.html (self-contained, reads offline),
report.ipynb (the executed notebook: open it in Jupyter to re-run or extend the analysis),
tables/*.csv and figures/*.png. Rows that break a validation rule are excluded and listed in
the report with their reasons; a bad option or unreadable file stops before anything runs,
with one message and exit status 2.

--out: the report is written into a temporary folder inside it and moved into place when
complete, so an interrupted run leaves the previous report as it was. Only files the previous
report wrote (listed in .churnsurv-report.json) are replaced or removed; other files are never
touched. A file, an unwritable path, a folder that contains the input, or tables/ or figures/
as links are refused up front; a second run writing to the same folder at once is refused.
CSV cells that a spreadsheet would read as a formula (starting with = + - @) get a leading '.

exit status:
  0  the report is complete (parts left out by choice, e.g. no --formula, are noted)
  1  the analysis failed; nothing replaced, the notebook is kept as report-failed.ipynb
  2  bad option, input or --out, or the folder is in use; nothing ran
  3  completed with skipped sections: the report was written, but parts of it failed (an
     error, or a model that did not converge) and show a note instead; listed on the terminal
  130, 143  interrupted (Ctrl-C, SIGTERM); the previous report is left as it was
"""

#: Exit status of a report written with parts that failed and show a note instead.
EXIT_SKIPPED_SECTIONS = 3


class _UsageError(Exception):
    """A command line argparse cannot parse (unknown option, missing value, ...)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2, like every bad option.

    argparse would print the usage text and call ``sys.exit``; :func:`main` prints
    ``churnsurv: error: ...`` instead and returns 2.
    """

    def error(self, message: str):
        raise _UsageError(message)


def _number(text: str):
    """Command-line text as an int or float when it reads as one, else the text unchanged.

    Only turns text into a number: whether the number is allowed is decided by the library's
    own rules (:mod:`churnsurv._validation`), which :func:`~churnsurv.report.run.run_report`
    applies to every option before anything runs.

    Examples
    --------
    >>> _number("60"), _number("1.5"), _number("1e3"), _number("ten")
    (60, 1.5, 1000.0, 'ten')
    """
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue  # not this kind of number: try the next, else keep the text
    return text


def _share(text: str):
    """A share typed as a percentage or a fraction: ``"5%"`` is 0.05, ``"0.05"`` too.

    Examples
    --------
    >>> _share("5%"), _share("0.2"), _share("all")
    (0.05, 0.2, 'all')
    """
    if text.strip().endswith("%"):
        number = _number(text.strip()[:-1])
        return number / 100 if isinstance(number, int | float) else text
    return _number(text)


def _say(message: str) -> None:
    sys.stderr.write(f"churnsurv report: {message}\n")
    sys.stderr.flush()


def _progress(done: int, total: int, seconds: float, section: str) -> None:
    _say(f"[{done:>2}/{total}] {seconds:6.1f} s  {section}")


def _add_report_options(p: argparse.ArgumentParser) -> None:
    _input_options(p.add_argument_group("input (a file, or --dataset)"))
    _column_options(p.add_argument_group("columns (names as in the file's header)"))
    _analysis_options(p.add_argument_group("analysis"))
    _output_options(p.add_argument_group("output"))
    from churnsurv.report.events import add_event_options

    add_event_options(p)


def _input_options(src) -> None:
    src.add_argument(
        "input",
        nargs="?",
        metavar="CUSTOMERS",
        help="customer table, one row per customer: CSV-like text (.csv, .txt, .csv.gz, ...; "
        "comma, semicolon, tab or pipe separated), Parquet (.parquet, .pq) or Excel (.xlsx, "
        "first sheet). Example: customers.csv",
    )
    src.add_argument(
        "--sep",
        metavar="SEP",
        help="delimiter of a text file: ',', ';', tab or '|'; by default it is detected and "
        "said on the terminal. Example: --sep ';'",
    )
    src.add_argument(
        "--max-excluded",
        type=_share,
        default=0.05,
        metavar="SHARE",
        help="stop (exit status 2, nothing written) when validation would exclude more than this "
        "share of the rows; the terminal always says how many rows were excluded and why; "
        "default 5%%. Example: --max-excluded 10%%",
    )
    src.add_argument(
        "--dataset",
        metavar="NAME",
        help="use bundled data instead of a file; every option below then has a default "
        "(telco: --id customerID --duration tenure --event Churn --event-value Yes "
        "--by Contract --by InternetService --margin MonthlyCharges). Example: --dataset telco",
    )


def _column_options(cols) -> None:
    cols.add_argument(
        "--duration",
        metavar="COL",
        help="tenure column (time to churn, or to now for active customers), in --time-unit. "
        "Example: --duration tenure",
    )
    cols.add_argument(
        "--entry",
        metavar="COL",
        help="entry-time column: the tenure each customer had when the data began to follow "
        "them (left truncation). A snapshot of the customers active at one date misses those "
        "who left before it; with --entry they count only from their entry. "
        "Example: --entry tenure_at_start",
    )
    cols.add_argument(
        "--event",
        metavar="COL",
        help="churn indicator column: bool, 0/1 or labels. Example: --event Churn",
    )
    cols.add_argument(
        "--event-value",
        metavar="VALUE",
        help="the value of --event that means churned; needed for labels, converted to the "
        "column's type (so '1' matches a 0/1 column). Example: --event-value Yes",
    )
    cols.add_argument(
        "--reason",
        metavar="COL",
        help="churn reason column: one label per churned customer (price, service, ...), empty "
        "for active customers; adds the section 'Why customers leave' (incidence by reason, "
        "Gray's tests, value lost by reason). Without --event a customer churned iff the "
        "reason is given. Example: --reason churn_reason",
    )
    cols.add_argument(
        "--id",
        dest="id_col",
        metavar="COL",
        help="customer id column (unique; read as text). Example: --id customerID",
    )
    cols.add_argument(
        "--start-date",
        metavar="COL",
        help="signup date column, instead of --duration (needs --cutoff). "
        "Example: --start-date signup",
    )
    cols.add_argument(
        "--end-date",
        metavar="COL",
        help="churn date column; empty or after --cutoff means still active. "
        "Example: --end-date cancelled",
    )
    cols.add_argument(
        "--cutoff",
        metavar="DATE",
        help="end of observation, with --start-date or --events. Example: --cutoff 2024-12-31",
    )
    cols.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="format of the dates and of --cutoff, as strftime codes; needed for dates such as "
        "02/11/2023 (day first or month first?), which are refused without it, never guessed. "
        "Example: --date-format %%d/%%m/%%Y",
    )
    cols.add_argument(
        "--bins",
        type=_number,
        metavar="N",
        help="compare numeric --by columns with more than N values in N quantile bins (a --by "
        "column with more than 20 levels is refused otherwise). Example: --bins 4",
    )
    cols.add_argument(
        "--time-unit",
        metavar="UNIT",
        help="unit of durations (and of the periods of the rate tables): day, week, month or "
        "year; default month. "
        "Example: --time-unit month",
    )


def _analysis_options(ana) -> None:
    ana.add_argument(
        "--by",
        action="append",
        metavar="COL",
        help="segment column to compare (curves, log-rank tests, rates, CLV); repeat for "
        "several. Example: --by Contract --by InternetService",
    )
    ana.add_argument(
        "--formula",
        metavar="FORMULA",
        help="right-hand side of the Cox model (categorical columns get a reference level; "
        "quote names with spaces in backticks). "
        'Example: --formula "Contract + MonthlyCharges"',
    )
    ana.add_argument(
        "--margin",
        metavar="COL",
        help="margin per customer per time unit, for CLV and value at risk. "
        "Example: --margin MonthlyCharges",
    )
    ana.add_argument(
        "--annual-discount-rate",
        type=_number,
        default=0.10,
        metavar="RATE",
        help="annual discount rate for CLV, converted exactly to the time unit; default 0.10. "
        "Example: --annual-discount-rate 0.08",
    )
    ana.add_argument(
        "--horizon",
        type=_number,
        metavar="N",
        help="CLV horizon in time units; default five years (60 months), cut to the shortest "
        "segment follow-up. Past the follow-up retention comes from --clv-tail. "
        "Example: --horizon 36",
    )
    ana.add_argument(
        "--clv-tail",
        default="sbg",
        metavar="TAIL",
        help="how retention continues past the follow-up for CLV and value at risk, fitted to "
        "all customers: sbg (shifted-beta-geometric), weibull, lognormal, loglogistic (AFT "
        "models without covariates) or none (CLV stops at the follow-up; value at risk is "
        "skipped); default sbg. Example: --clv-tail weibull",
    )
    ana.add_argument(
        "--within",
        type=_number,
        default=6,
        metavar="N",
        help="value at risk: probability of churning within N time units; default 6. "
        "Example: --within 3",
    )
    ana.add_argument(
        "--top",
        dest="top_n",
        type=_number,
        default=20,
        metavar="N",
        help="customers listed in the value-at-risk table; default 20 (all are in "
        "tables/value_at_risk.csv, or past 1,000,000 in tables/value_at_risk.parquet). "
        "Example: --top 50",
    )
    ana.add_argument(
        "--min-cox-events",
        type=_number,
        default=10,
        metavar="N",
        help="skip the Cox model (with a note in the report) below N churn events; default 10. "
        "Example: --min-cox-events 20",
    )
    ana.add_argument(
        "--offer-cost",
        type=_number,
        metavar="AMOUNT",
        help="early warning: cost of one retention offer, in the margin's currency; default "
        "the median margin of one time unit. Sets, with --success-rate, the call-list size "
        "that maximises expected net value. Example: --offer-cost 40",
    )
    ana.add_argument(
        "--success-rate",
        type=_number,
        default=0.25,
        metavar="P",
        help="early warning: probability that an offer keeps a customer who would otherwise "
        "churn; default 0.25. Example: --success-rate 0.3",
    )
    ana.add_argument(
        "--n-boot",
        type=_number,
        default=30,
        metavar="N",
        help="bootstrap resamples for the call list's intervals (the model is refitted each "
        "time) and the experiment's net values; default 30. Example: --n-boot 200",
    )
    ana.add_argument(
        "--arm",
        metavar="COL",
        help="column with the two arms of a retention experiment (strategies, campaigns); adds "
        "the section 'Experiment': retention per arm, log-rank and Fleming-Harrington tests, "
        "RMST difference and ratio over horizons, hazard ratio over tenure, net value and a "
        "decision table. Example: --arm strategy",
    )
    ana.add_argument(
        "--arm-cost",
        action="append",
        type=_number,
        metavar="COST",
        help="experiment: the campaign's cost per enrolled customer, one amount for every arm "
        "or ARM=AMOUNT (repeat per arm); with --margin or a cost each arm is valued net of it. "
        "Example: --arm-cost promotion=40 --arm-cost relationship=10",
    )
    ana.add_argument(
        "--arm-cost-per-period",
        action="append",
        type=_number,
        metavar="COST",
        help="experiment: the campaign's cost per time unit while a customer is active, as "
        "--arm-cost. Example: --arm-cost-per-period relationship=4",
    )
    ana.add_argument(
        "--seed",
        type=_number,
        default=0,
        metavar="N",
        help="random seed; the same input, options and seed give the same numbers; default 0. "
        "Example: --seed 42",
    )


def _output_options(out) -> None:
    out.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="output folder (created; an earlier report there is replaced, other files are "
        "left alone; see --out below). Example: --out report/",
    )
    out.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines on the terminal (what was read and excluded, and errors, "
        "are still said)",
    )


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs."""


def _on_sigterm(signum, frame) -> None:
    from churnsurv.report.run import interrupt_received

    raise interrupt_received(_Terminated())


def _on_sigint(signum, frame) -> None:
    from churnsurv.report.run import interrupt_received

    raise interrupt_received(KeyboardInterrupt())


def _quiet_lost_interrupts(hook):
    """``hook`` (``sys.unraisablehook``), silent on an interrupt the run will raise again.

    A signal handler's exception raised inside a weak reference's callback is "unraisable":
    Python prints it with a traceback and goes on. The run raises the recorded interrupt
    again (:func:`churnsurv.report.run.interrupt_received`), so the command says one line.
    """

    from churnsurv.report.run import _RECEIVED

    def quiet(unraisable) -> None:
        if not any(unraisable.exc_value is exc for exc in _RECEIVED):
            hook(unraisable)

    return quiet


def _report(args: argparse.Namespace, command: str) -> int:
    import signal

    from churnsurv.exceptions import DataValidationError
    from churnsurv.report.run import ReportExecutionError, forget_interrupts, run_report

    # Both handlers raise as Python's own Ctrl-C handler does, and record what they raised:
    # an exception raised while Python runs a weak reference's callback is lost, and the run
    # then raises the recorded one (churnsurv.report.run._RECEIVED).
    forget_interrupts()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: the signals keep their handlers
        previous = None
    # Ctrl-C only where Python's own handler is set (not where the command was started with
    # SIGINT ignored, e.g. in the background by nohup)
    previous_int = signal.getsignal(signal.SIGINT) if previous is not None else None
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_lost_interrupts(previous_hook)
    try:
        return _run(args, command, run_report)
    except DataValidationError as exc:
        _say(f"error: {exc}")
        return 2
    except ReportExecutionError as exc:
        _say(
            f"error: the analysis failed in cell {exc.cell} (section {exc.section!r}): {exc}\n"
            f"  Nothing was replaced. The partly run notebook, with the full error, is "
            f"{exc.notebook}"
        )
        return 1
    except KeyboardInterrupt as exc:
        stopped = "terminated (SIGTERM)" if isinstance(exc, _Terminated) else "interrupted"
        _say(f"{stopped}: the previous report in {args.out} was left as it was.")
        return 143 if isinstance(exc, _Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)
        sys.unraisablehook = previous_hook


def _run(args: argparse.Namespace, command: str, run_report) -> int:
    """Run the report and say what was written; the exit status (0, or 3 with failed parts)."""
    from churnsurv.report.events import events_from_args

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        result = run_report(
            args.out,
            input_path=args.input,
            dataset=args.dataset,
            duration=args.duration,
            entry=args.entry,
            event=args.event,
            event_value=args.event_value,
            id_col=args.id_col,
            start_date=args.start_date,
            end_date=args.end_date,
            cutoff=args.cutoff,
            date_format=args.date_format,
            time_unit=args.time_unit,
            by=args.by,
            bins=args.bins,
            sep=args.sep,
            max_excluded=args.max_excluded,
            formula=args.formula,
            margin=args.margin,
            reason=args.reason,
            arm=args.arm,
            annual_discount_rate=args.annual_discount_rate,
            horizon=args.horizon,
            clv_tail=args.clv_tail,
            within=args.within,
            top_n=args.top_n,
            min_cox_events=args.min_cox_events,
            offer_cost=args.offer_cost,
            success_rate=args.success_rate,
            n_boot=args.n_boot,
            arm_cost=args.arm_cost,
            arm_cost_per_period=args.arm_cost_per_period,
            seed=args.seed,
            events=events_from_args(args),
            command=command,
            progress=None if args.quiet else _progress,
            say=_say,
        )
    for note in result.notes:
        kind = "skipped" if note in result.failed else "note"
        _say(f"{kind}: " + "\n  ".join(textwrap.wrap(note, 96)))
    if result.failed:
        first = (
            f"churnsurv report: completed with skipped sections in {result.seconds:.1f} s: "
            f"{len(result.failed)} part(s) of the report failed and show a note instead "
            f"(exit status {EXIT_SKIPPED_SECTIONS})\n"
        )
    else:
        first = f"churnsurv report: done in {result.seconds:.1f} s\n"
    sys.stdout.write(
        first + f"  report:   {result.html}\n"
        f"  notebook: {result.notebook}\n"
        f"  tables:   {result.out / 'tables'} ({_count_tables(result.tables)})\n"
        f"  figures:  {result.out / 'figures'} ({len(result.figures)} PNG files)\n"
    )
    return EXIT_SKIPPED_SECTIONS if result.failed else 0


def _count_tables(tables: list) -> str:
    """``"14 CSV files"``, and ``", 1 Parquet file"`` when a table was too long for a CSV.

    Examples
    --------
    >>> _count_tables([Path("a.csv"), Path("b.csv"), Path("b.parquet")])
    '2 CSV files, 1 Parquet file'
    """
    n_csv = sum(Path(t).suffix == ".csv" for t in tables)
    n_parquet = sum(Path(t).suffix == ".parquet" for t in tables)
    text = f"{n_csv} CSV file{'s' if n_csv != 1 else ''}"
    if n_parquet:
        text += f", {n_parquet} Parquet file{'s' if n_parquet != 1 else ''}"
    return text


def _demo_summary() -> None:
    """Print a short survival analysis of the bundled Telco data."""
    import churnsurv as cs
    from churnsurv.km.estimator import KaplanMeier

    data = cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        time_unit="month",
        segments="Contract",
        margin="MonthlyCharges",
    )
    lines = ["churnsurv demo: IBM Telco customer churn (a fictional company, 7,043 customers)", ""]
    lines += [repr(data), "", "Kaplan-Meier retention by contract type:"]
    km = KaplanMeier().fit(data, by="Contract")
    surv = km.survival_at([12, 24, 60]).pivot(index="segment", columns="time", values="survival")
    rows = []
    for contract, median in km.median_["median"].items():
        rows.append(
            {
                "contract": contract,
                "customers": int((data.frame["Contract"] == contract).sum()),
                "median tenure (months)": median if np.isfinite(median) else "not reached",
                **{f"S({t:g})": round(float(surv.loc[contract, t]), 3) for t in surv.columns},
            }
        )
    with pd.option_context("display.width", 120):
        lines.append(pd.DataFrame(rows).to_string(index=False))
    lines.append("")
    sys.stdout.write("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``churnsurv`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 done, 1 the analysis failed, 2 bad options, input or ``--out`` (nothing
        ran), 3 completed with skipped sections (parts of the report failed and show a note),
        130 / 143 interrupted by Ctrl-C / SIGTERM.

    Examples
    --------
    >>> main(["report", "--dataset", "telco", "--out", "report/"])  # doctest: +SKIP
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    from churnsurv import __version__

    parser = _Parser(prog="churnsurv", description="Survival analysis of customer churn and CLV.")
    parser.add_argument("--version", action="version", version=f"churnsurv {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "report",
        help="analyse a customer file and write an HTML report, its notebook, tables and figures",
        description="Analyse a customer table and write a report you can read, share and re-run: "
        "retention curves (Kaplan-Meier) with risk tables, medians, retention and RMST by "
        "segment; log-rank tests with Holm-adjusted pairwise tests; churn and retention rates "
        "per period; a Cox model with the proportional-hazards check; CLV by segment and the "
        "customers with the most value at risk; how good the churn prediction is on customers "
        "it has not seen and whom to call first (early warning); with --arm, a retention "
        "experiment; and what validation excluded.",
        epilog=_REPORT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_report_options(rep)
    demo = sub.add_parser(
        "demo",
        help="the report of the bundled Telco data (= report --dataset telco --out report/)",
    )
    demo.add_argument("--out", default="report", metavar="DIR", help="default: report/")
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        where = "churnsurv report --help" if argv[:1] == ["report"] else "churnsurv --help"
        sys.stderr.write(f"churnsurv: error: {exc} (see {where})\n")
        return 2
    command = shlex.join(["churnsurv", *argv])
    if args.command == "demo":
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            _demo_summary()
        report_argv = ["report", "--dataset", "telco", "--out", args.out]
        return _report(parser.parse_args(report_argv), shlex.join(["churnsurv", *report_argv]))
    return _report(args, command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
