"""What ``churnsurv report`` checks about its input before the notebook runs, and says.

Never lose data quietly (issue #17): the options that say how to read the input
(``--date-format``, ``--sep``, ``--bins``) are checked by the library's own rules; after
:func:`churnsurv.prepare`, the rows excluded by validation are counted per reason and said on
the terminal, and above ``--max-excluded`` (5% by default) the command stops with
exit status 2 instead of analysing what is left; a ``--by`` column with too many levels is
refused before any curve is fitted.

:func:`check_input` runs every check of the input that the notebook will need, in the
command's own process, so that a bad option or input ends with one message and exit status 2.
Only :mod:`churnsurv.report.run` imports this module.
"""

from __future__ import annotations

import math

import pandas as pd

from churnsurv._validation import (
    check_count,
    check_date_format,
    check_segment_levels,
)
from churnsurv.data import ChurnData
from churnsurv.data.rules import parse_cutoff
from churnsurv.exceptions import DataValidationError
from churnsurv.report.arms import validate_arm
from churnsurv.report.io import bin_segments, check_delimiter, formula_columns

__all__ = [
    "DEFAULT_MAX_EXCLUDED",
    "check_exclusions",
    "check_input",
    "check_input_options",
    "check_segments",
    "coerce_event_value",
    "exclusion_counts",
]

#: ``--max-excluded``: the share of rows validation may exclude before the report stops.
DEFAULT_MAX_EXCLUDED = 0.05


def check_input_options(params: dict) -> None:
    """Check the options that say how to read the input; checked values replace the given ones.

    ``--date-format`` (a strftime format naming day, month and year), ``--cutoff`` read with
    it, ``--sep`` (``,``, ``;``, ``tab``, ``|``) and ``--bins`` (a whole number >= 2).

    Examples
    --------
    >>> params = dict(date_format="%d/%m/%Y", cutoff="01/12/2024", sep="tab", bins=None)
    >>> check_input_options(params)
    >>> params["sep"] == "\\t"
    True
    >>> check_input_options({**params, "cutoff": "12/31/2024"})
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: --cutoff='12/31/2024' is not a date in the ...
    """
    params["date_format"] = check_date_format(params["date_format"], name="--date-format")
    params["sep"] = check_delimiter(params["sep"], name="--sep")
    if params["bins"] is not None:
        params["bins"] = check_count(params["bins"], name="--bins", minimum=2)
    if params["cutoff"] is not None:
        parse_cutoff(params["cutoff"], name="--cutoff", date_format=params["date_format"])


def exclusion_counts(data: ChurnData) -> pd.Series:
    """Rows excluded by validation per reason (a row may have several), most frequent first.

    Examples
    --------
    >>> import churnsurv as cs
    >>> raw = pd.DataFrame({"t": [1, -2, -3, None], "e": [1, 0, 1, 0]})
    >>> exclusion_counts(cs.prepare(raw, duration="t", event="e", on_invalid="drop")).to_dict()
    {'negative duration': 2, 'missing duration': 1}
    """
    reasons = data.excluded["reason"].astype(str).str.split("; ").explode()
    return reasons.value_counts(sort=True).rename("rows").rename_axis("reason")


def _percent(share: float) -> str:
    return f"{100 * share:.3g}%"


def check_exclusions(data: ChurnData, max_excluded: float) -> list[str]:
    """What the terminal says about excluded rows; stop above ``max_excluded`` (a share).

    Returns the lines to say (none when no row was excluded). Raises
    :class:`~churnsurv.exceptions.DataValidationError` (exit status 2, nothing runs) when more
    than ``max_excluded`` of the input's rows were excluded, with the count per reason and the
    ``--max-excluded`` value that would let the report go on.

    Examples
    --------
    >>> import churnsurv as cs
    >>> raw = pd.DataFrame({"t": [1, -2, 3, 4], "e": [1, 0, 1, 0]})
    >>> data = cs.prepare(raw, duration="t", event="e", on_invalid="drop")
    >>> print(*check_exclusions(data, 0.5))
    excluded 1 of 4 rows (25%) that break a validation rule (listed in the report): 1 negative ...
    >>> check_exclusions(data, 0.05)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: 1 of 4 rows (25%) break a validation rule, ...
    """
    n_out, n_in = len(data.excluded), data.n_input
    if n_out == 0:
        return []
    counts = exclusion_counts(data)
    why = "; ".join(f"{rows:,} {reason}" for reason, rows in counts.items())
    share = n_out / n_in
    if share > max_excluded:
        needed = math.ceil(1000 * share) / 1000
        raise DataValidationError(
            f"{n_out:,} of {n_in:,} rows ({_percent(share)}) break a validation rule, more than "
            f"--max-excluded {max_excluded:g} ({_percent(max_excluded)}): {why}. Nothing ran: "
            "fix the input or the options that read it (--date-format, --sep, --event-value, "
            f"...), or accept the loss with --max-excluded {needed:g}.",
            rule="too many rows excluded",
            n_rows=n_out,
        )
    return [
        f"excluded {n_out:,} of {n_in:,} rows ({_percent(share)}) that break a validation rule "
        f"(listed in the report): {why}."
    ]


def check_segments(data: ChurnData, by: list[str]) -> None:
    """Refuse ``--by`` columns with too many levels, before any curve is fitted.

    The library's rule (:func:`churnsurv._validation.check_segment_levels`, which
    :class:`churnsurv.KaplanMeier` and the log-rank tests apply), named as on the command line.
    """
    for col in by:
        check_segment_levels(data.frame, [col], name="--by")


def coerce_event_value(series: pd.Series, value: object) -> object:
    """Turn an event value typed on the command line into the column's type.

    ``--event-value 1`` arrives as the text ``"1"``; for a numeric column it means the number 1,
    for a bool column ``"true"``/``"false"`` mean ``True``/``False``. Text columns keep the text.

    Examples
    --------
    >>> coerce_event_value(pd.Series([0, 1, 1]), "1")
    1
    >>> coerce_event_value(pd.Series(["Yes", "No"]), "Yes")
    'Yes'
    >>> coerce_event_value(pd.Series([True, False]), "true")
    True
    """
    if not isinstance(value, str):
        return value
    if pd.api.types.is_bool_dtype(series):
        if value.strip().lower() in ("true", "1", "yes"):
            return True
        if value.strip().lower() in ("false", "0", "no"):
            return False
        return value
    if pd.api.types.is_numeric_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value


def check_input(params: dict, raw: pd.DataFrame, max_excluded: float) -> list[str]:
    """Everything the notebook will need, checked in this process (fails fast, one message).

    Returns what the terminal should say: columns binned by ``--bins`` and rows excluded.
    """
    import churnsurv as cs

    raw, by = bin_segments(raw, params["by"], params["bins"])
    said = [
        f"--bins {params['bins']}: {old!r} is compared in quantile bins, as {new!r}"
        for old, new in zip(params["by"], by, strict=True)
        if old != new
    ]
    prepare_args = dict(
        duration=params["duration"],
        entry=params.get("entry"),
        event=params["event"],
        event_value=params["event_value"],
        start_date=params["start_date"],
        end_date=params["end_date"],
        cutoff=params["cutoff"],
        date_format=params["date_format"],
        time_unit=params["time_unit"],
        id=params["id_col"],
        segments=by or None,
        margin=params["margin"],
        reason=params["reason"],
    )
    event, value = params["event"], params["event_value"]
    if value is not None and event in raw.columns and not raw[event].isin([value]).any():
        seen = sorted(map(str, pd.unique(raw[event].dropna().astype(object))))
        raise DataValidationError(
            f"--event-value {value!r} never occurs in column {event!r}; its values are "
            f"{seen[:10]}{' ...' if len(seen) > 10 else ''}.",
            column=str(event),
            rule="event_value never occurs",
        )
    data = cs.prepare(raw, on_invalid="drop", **prepare_args)
    said += check_exclusions(data, max_excluded)
    check_segments(data, by)
    if params["formula"]:
        try:
            needed = formula_columns(params["formula"])
        except DataValidationError as exc:
            raise DataValidationError(
                f"--formula: {exc}", column="--formula", rule=exc.rule
            ) from None
        cox = data.with_covariates(raw, needed + by, on_invalid="drop", **prepare_args)
        if cox.n < data.n:
            said.append(
                f"the Cox model leaves out {data.n - cox.n:,} more rows with missing or invalid "
                "values of its columns (listed in the report)."
            )
    if params["arm"] is not None:
        arms = data.with_covariates(raw, [params["arm"]], on_invalid="drop", **prepare_args)
        validate_arm(params, arms)
    return said
