"""``churnsurv report LOG --events``: the report of an activity log, churn defined by inactivity.

The log (Parquet or CSV, possibly larger than memory) is never loaded in pandas: DuckDB
computes the churn table with :func:`churnsurv.churn_from_events` (one row per customer,
honest censoring by the rule), and the usual report sections run on that customer table.

:func:`event_options` checks the ``--events`` options before anything runs (exit status 2) and
says which columns of the churn table the report uses; :func:`compute_churn_table` runs the
engine once (in :func:`~churnsurv.report.run.run_report`, where the table is also checked);
:func:`event_churn_table` gives the notebook that table, reusing the copy ``run_report`` wrote
beside it or computing it again when the notebook is re-run by hand, and the facts the report
states: the rule, the churn-time convention, the cutoff, customers churned and censored by the
rule, episodes, and the log's rows in = used + excluded.

Only :mod:`churnsurv.report.cli`, :mod:`churnsurv.report.run` and the report template import
this module.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pandas as pd

from churnsurv._validation import as_list, check_choice, check_inactivity
from churnsurv.data.rules import parse_cutoff
from churnsurv.events.engine import check_memory_limit, fetch_frame
from churnsurv.exceptions import DataValidationError

__all__ = [
    "CHURN_TABLE",
    "add_event_options",
    "compute_churn_table",
    "event_churn_table",
    "event_options",
    "events_from_args",
    "write_churn_table",
]

#: The churn table the notebook reads as its customer table (beside the notebook, not published).
CHURN_TABLE = "churn_table.parquet"
#: Options of a customer table that an event log replaces (``--events`` makes those columns).
_REPLACED = {
    "duration": "--duration",
    "event": "--event",
    "event_value": "--event-value",
    "id_col": "--id",
    "start_date": "--start-date",
    "end_date": "--end-date",
    "reason": "--reason",
}
_CHURN_TIME_TEXT = {
    "last_activity": "the last activity before that gap",
    "rule_reached": "the day the gap reached the rule (last activity + rule)",
}
_CENSORED_AT = {"last_activity": "their last activity", "rule_reached": "the cutoff"}


def add_event_options(parser: argparse.ArgumentParser) -> None:
    """The ``--events`` option group of ``churnsurv report``."""
    ev = parser.add_argument_group(
        "event log (--events: the input is an activity log, churn is defined by inactivity)"
    )
    ev.add_argument(
        "--events",
        action="store_true",
        help="the input is an activity log (one row per purchase, visit, login; Parquet, a "
        "folder of Parquet files or CSV, read by DuckDB, may be larger than memory): the churn "
        "table is computed in DuckDB by churn_from_events, then the report runs on it. Needs "
        "--customer-id, --timestamp and --cutoff. Example: --events",
    )
    ev.add_argument("--customer-id", metavar="COL", help="customer id column of the log.")
    ev.add_argument("--timestamp", metavar="COL", help="activity date or timestamp column.")
    ev.add_argument(
        "--inactivity",
        metavar="RULE",
        help="a customer churns after this long without activity: 180D (days), 26W (weeks), "
        "6M (calendar months) or 1Y; default 180D. Example: --inactivity 6M",
    )
    ev.add_argument(
        "--churn-time",
        metavar="WHEN",
        help="the churn time: last_activity (the last activity before the gap, default) or "
        "rule_reached (the day the gap reached the rule). Example: --churn-time rule_reached",
    )
    ev.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="cap DuckDB's working memory (it spills the rest to the temp folder; results are "
        "the same). Default: DuckDB's, 80%% of RAM. Example: --memory-limit 2GB",
    )
    ev.add_argument("--amount", metavar="COL", help="spend column, summed per customer.")
    ev.add_argument(
        "--segment",
        action="append",
        metavar="COL",
        help="column constant within a customer (e.g. acquisition channel), compared like "
        "--by; repeat for several. Example: --segment channel",
    )


def events_from_args(args: argparse.Namespace) -> dict | None:
    """The ``--events`` options as given (None without ``--events``), for ``run_report``.

    Event options without ``--events`` are refused (they would be silently ignored).
    """
    given = {
        "customer_id": args.customer_id,
        "timestamp": args.timestamp,
        "inactivity": args.inactivity,
        "churn_time": args.churn_time,
        "amount": args.amount,
        "segments": args.segment,
        "memory_limit": args.memory_limit,
    }
    if not args.events:
        named = [k for k, v in given.items() if v is not None]
        if named:
            option = "--segment" if named[0] == "segments" else f"--{named[0].replace('_', '-')}"
            raise DataValidationError(
                f"{option} describes an event log: add --events (the input is then an "
                "activity log, and churn is defined by inactivity).",
                column=option,
                rule="missing argument",
            )
        return None
    return given


def event_options(
    events: dict, params: dict, *, input_path: Any = None, dataset: str | None = None
) -> dict:
    """Check the ``--events`` options; return them complete, and set the churn-table columns.

    ``params`` (the report's options) gets the columns of the churn table: ``duration``,
    ``event="churned"``, ``id_col`` = the customer id, the segments added to ``by``; its
    ``cutoff`` moves to the event options (the table has durations, not dates).

    Examples
    --------
    >>> options = dict(cutoff="2024-12-31", date_format=None, by=[], time_unit="month")
    >>> params = dict(options)
    >>> ev = event_options(dict(customer_id="id", timestamp="ts", inactivity="6M"), params,
    ...                    input_path="log.parquet")
    >>> ev["cutoff"], ev["churn_time"], params["event"], params["cutoff"]
    ('2024-12-31', 'last_activity', 'churned', None)
    >>> event_options(dict(customer_id="id", timestamp="ts", inactivity="six"),
    ...               dict(options), input_path="log.parquet")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: --inactivity='six' is not understood; ...
    """
    if dataset is not None or input_path is None:
        raise DataValidationError(
            "--events reads an activity log file (Parquet or CSV), not --dataset.",
            rule="no input",
        )
    for key, option in _REPLACED.items():
        if params.get(key) is not None:
            raise DataValidationError(
                f"{option} names a column of a customer table; with --events the churn table "
                "is made from the log (give --customer-id, --timestamp, --inactivity).",
                column=option,
                rule="conflicting options",
            )
    for key in ("customer_id", "timestamp"):
        if events.get(key) is None:
            option = f"--{key.replace('_', '-')}"
            raise DataValidationError(
                f"{option}: name the {key.replace('_', ' ')} column of the event log.",
                column=option,
                rule="missing argument",
            )
    if params.get("cutoff") is None:
        raise DataValidationError(
            "--cutoff: the end of observation is needed with --events (a customer whose gap "
            "at the cutoff is shorter than the rule is censored).",
            column="--cutoff",
            rule="missing argument",
        )
    inactivity = "180D" if events.get("inactivity") is None else events["inactivity"]
    check_inactivity(inactivity, name="--inactivity")
    churn_time = events.get("churn_time") or "last_activity"
    check_choice("--churn-time", churn_time, tuple(_CHURN_TIME_TEXT))
    cut = parse_cutoff(params["cutoff"], name="--cutoff", date_format=params.get("date_format"))
    segments = as_list(events.get("segments"))
    checked = {
        "log": str(Path(input_path).resolve()),
        "customer_id": events["customer_id"],
        "timestamp": events["timestamp"],
        "inactivity": inactivity,
        "churn_time": churn_time,
        "cutoff": cut.date().isoformat(),
        "amount": events.get("amount"),
        "segments": segments,
        "time_unit": params["time_unit"],
        "memory_limit": None,
    }
    if events.get("memory_limit") is not None:
        checked["memory_limit"] = check_memory_limit(events["memory_limit"], name="--memory-limit")
    params.update(
        duration="duration",
        event="churned",
        id_col=events["customer_id"],
        cutoff=None,
        by=segments + [b for b in params["by"] if b not in segments],
    )
    return checked


def compute_churn_table(events: dict, max_excluded: float = 1.0) -> tuple[pd.DataFrame, dict]:
    """The churn table (first episode of each customer) and the facts, computed in DuckDB.

    Rows of the log that break a rule (missing id, unparseable timestamp, ...) are excluded
    and counted; more than ``max_excluded`` of them (activity after the cutoff aside, which is
    no error) stops with a :class:`DataValidationError`.
    """
    from churnsurv.events.engine import read_events
    from churnsurv.events.inactivity import AFTER_CUTOFF, churn_from_events

    log = events["log"]
    if events.get("memory_limit") is not None:
        log = read_events(log, memory_limit=events["memory_limit"])
    res = churn_from_events(
        log,
        customer_id=events["customer_id"],
        timestamp=events["timestamp"],
        inactivity=events["inactivity"],
        cutoff=events["cutoff"],
        amount=events["amount"],
        segments=events["segments"] or None,
        churn_time=events["churn_time"],
        episodes=True,
        time_unit=events["time_unit"],
        on_invalid="drop",
    )
    excl = res.exclusions
    invalid = int(excl.loc[excl["reason"] != AFTER_CUTOFF, "rows"].sum())
    if invalid > max_excluded * res.n_input:
        first = excl[excl["reason"] != AFTER_CUTOFF].iloc[0]
        raise DataValidationError(
            f"{invalid:,} of {res.n_input:,} rows of the event log break a rule (first: column "
            f"{first['column']!r}, {first['reason']}), more than --max-excluded "
            f"{100 * max_excluded:g}%.",
            column=str(first["column"]),
            rule=str(first["reason"]),
            n_rows=invalid,
        )
    table, n_episodes = _first_episodes(res)
    churned = int(table["churned"].sum())
    facts = {
        "options": events,
        "engine": res.engine,
        "rows_in": res.n_input,
        "rows_used": res.n_used,
        "rows_excluded": res.n_input - res.n_used,
        "exclusions": excl.to_dict("records"),
        "customers": len(table),
        "episodes": n_episodes,
        "returned": int(table["returned"].sum()),
        "churned": churned,
        "censored": len(table) - churned,
    }
    return table, json.loads(json.dumps(facts, default=int))


def _first_episodes(res) -> tuple[pd.DataFrame, int]:
    """Each customer's first episode (``churn_from_events(episodes=False).frame``) and the
    number of episodes of all customers, in one pass of the engine: only one row per customer
    is fetched, never one per episode."""
    import ibis

    from churnsurv.events.inactivity import episode_frame

    ep = res.episodes_table
    ep = ep.mutate(n_episodes=ep.episode.max().over(ibis.window(group_by="cid")))
    first = fetch_frame(ep.filter(ep.episode == 1).order_by("cid"))
    table = episode_frame(first, res.time_unit, res.customer_id, res.amount, res.segments)
    return table.drop(columns="episode"), int(first["n_episodes"].sum())


def write_churn_table(table: pd.DataFrame, facts: dict, folder: str | Path) -> Path:
    """Write the churn table (Parquet) and its facts (JSON beside it) into ``folder``."""
    path = Path(folder) / CHURN_TABLE
    table.to_parquet(path, index=False)
    path.with_suffix(".json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
    return path


def _definition(facts: dict) -> str:
    o = facts["options"]
    unit, n = check_inactivity(o["inactivity"])
    rule = f"{n} days" if unit == "day" else f"{n} calendar months"
    return (
        f"Churn is defined from the activity log {Path(o['log']).name} (computed in "
        f"{facts['engine']} by churn_from_events): a customer churns when {rule} "
        f"({o['inactivity']}) pass without activity; the churn time is "
        f"{_CHURN_TIME_TEXT[o['churn_time']]}. Observation ends on {o['cutoff']}. Of "
        f"{facts['customers']:,} customers, {facts['churned']:,} churned by the cutoff and "
        f"{facts['censored']:,} are censored by the rule: their gap at the cutoff is shorter "
        f"than {o['inactivity']}, so they have not churned yet (censored at "
        f"{_CENSORED_AT[o['churn_time']]}). {facts['returned']:,} customers came back after a "
        f"qualifying gap ({facts['episodes']:,} episodes in all); the analysis uses each "
        "customer's first episode (time to first churn). Rows of the log: "
        f"{facts['rows_in']:,} in = {facts['rows_used']:,} used + {facts['rows_excluded']:,} "
        "excluded."
    )


def event_churn_table(
    events: dict, path: str | Path = CHURN_TABLE
) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """For the notebook: the churn table's file, the facts (a table) and the log's exclusions.

    The file ``run_report`` wrote is reused when its facts were computed with the same
    options; otherwise (the notebook re-run by hand) the table is computed again from the log.
    The facts table has one ``value`` per fact and the sentence in ``.attrs["definition"]``.
    """
    path = Path(path)
    sidecar = path.with_suffix(".json")
    facts: dict[str, Any] | None = None
    if path.is_file() and sidecar.is_file():
        facts = json.loads(sidecar.read_text(encoding="utf-8"))
        if facts.get("options") != events:
            facts = None
    if facts is None:
        table, facts = compute_churn_table(events)
        write_churn_table(table, facts, path.parent)
    o = facts["options"]
    rows = {
        "rule": f"churn after {o['inactivity']} without activity",
        "churn time": o["churn_time"].replace("_", " "),
        "cutoff": o["cutoff"],
        "engine": facts["engine"],
        "rows in log": facts["rows_in"],
        "rows used": facts["rows_used"],
        "rows excluded": facts["rows_excluded"],
        "customers": facts["customers"],
        "episodes": facts["episodes"],
        "customers who returned": facts["returned"],
        "churned (first episode)": facts["churned"],
        "censored by the rule (gap shorter than the rule at cutoff)": facts["censored"],
    }
    table = pd.DataFrame({"value": [str(v) for v in rows.values()]}, index=list(rows))
    table.index.name = "fact"
    table.attrs["definition"] = _definition(facts)
    exclusions = pd.DataFrame(facts["exclusions"], columns=["column", "reason", "rows"])
    return str(path), table, exclusions
