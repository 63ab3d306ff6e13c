"""Day-first dates are refused unless their format is given, never silently swapped (issue #17).

The reference is the simulation's truth (tests/conftest.py ``simulate_saas_table``): the same
2,000 customers' dates in ISO 8601 and the true number of days from signup to cancellation or to
the cutoff.
"""

from __future__ import annotations

import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.exceptions import DataValidationError

DATES = dict(start_date="signup", end_date="cancelled", id="account_id", time_unit="day")


@pytest.mark.parametrize("on_invalid", ["raise", "drop"])
def test_day_first_dates_are_refused_with_the_option_to_give(saas_table, on_invalid):
    # Before: 1,333 of 2,000 rows excluded ("unparseable date", "end before start"), the other
    # 667 read month first, the cutoff 01/12/2024 read as 12 January, and no error.
    with pytest.raises(DataValidationError) as err:
        cs.prepare(saas_table, cutoff="2024-12-01", on_invalid=on_invalid, **DATES)
    message = str(err.value)
    assert err.value.rule == "ambiguous date order" and err.value.column == "signup"
    assert "date_format='%d/%m/%Y'" in message and "--date-format %d/%m/%Y" in message
    assert "put the day first" in message and "never guesses" in message


def test_ambiguous_cutoff_is_refused_without_a_format(saas_table):
    iso = saas_table.assign(signup=saas_table["signup_iso"], cancelled=saas_table["cancelled_iso"])
    with pytest.raises(DataValidationError, match=r"cutoff='01/12/2024' gives day and month"):
        cs.prepare(iso, cutoff="01/12/2024", **DATES)


def test_with_the_format_every_row_is_read_exactly(saas_table):
    data = cs.prepare(saas_table, cutoff="01/12/2024", date_format="%d/%m/%Y", **DATES)
    assert data.n == 2000 and len(data.excluded) == 0
    assert data.cutoff == pd.Timestamp("2024-12-01")
    truth = saas_table.set_index("account_id")
    # simulation truth: days from signup to cancellation or to the cutoff, and who churned
    assert data.frame["duration"].tolist() == truth["true_days"].tolist()
    assert data.frame["event"].tolist() == truth["true_churned"].tolist()
    # the same table in ISO 8601 needs no format and gives the same durations
    iso = saas_table.assign(signup=saas_table["signup_iso"], cancelled=saas_table["cancelled_iso"])
    months = cs.prepare(iso, cutoff="2024-12-01", **{**DATES, "time_unit": "month"})
    day_first = cs.prepare(
        saas_table, cutoff="01/12/2024", date_format="%d/%m/%Y", **{**DATES, "time_unit": "month"}
    )
    pd.testing.assert_frame_equal(months.frame, day_first.frame)


def test_month_first_dates_with_their_format_and_an_iso_cutoff(saas_table):
    us = saas_table.assign(
        signup=pd.to_datetime(saas_table["signup_iso"]).dt.strftime("%m/%d/%Y"),
        cancelled=pd.to_datetime(saas_table["cancelled_iso"]).dt.strftime("%m/%d/%Y"),
    )
    with pytest.raises(DataValidationError, match=r"date_format='%m/%d/%Y'"):
        cs.prepare(us, cutoff="2024-12-01", **DATES)
    data = cs.prepare(us, cutoff="2024-12-01", date_format="%m/%d/%Y", **DATES)
    assert data.frame["duration"].tolist() == saas_table["true_days"].tolist()


def test_a_date_in_another_format_is_excluded_and_named():
    raw = pd.DataFrame({"id": [1, 2], "start": ["15/01/2020", "2020-02-01"], "end": [None, None]})
    data = cs.prepare(
        raw,
        id="id",
        start_date="start",
        end_date="end",
        cutoff="01/06/2020",
        date_format="%d/%m/%Y",
        on_invalid="drop",
    )
    assert data.n == 1
    assert data.excluded["reason"].tolist() == ["unparseable date (not in the format '%d/%m/%Y')"]


def test_iso_and_month_name_dates_need_no_format():
    raw = pd.DataFrame({"start": ["2020-01-15", "2020-02-01T10:00:00+02:00"], "end": [None, None]})
    assert cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-12-01").n == 2
    named = pd.DataFrame({"start": ["15 Jan 2020", "1 Feb 2020"], "end": [None, None]})
    assert cs.prepare(named, start_date="start", end_date="end", cutoff="2020-12-01").n == 2


@pytest.mark.parametrize("bad", ["dd/mm/yyyy", "%H:%M", "%d/%m", 5, "%d/%Q/%Y"])
def test_a_date_format_must_name_day_month_and_year(bad):
    raw = pd.DataFrame({"start": ["2020-01-15"], "end": [None]})
    with pytest.raises(DataValidationError, match="is not a date format"):
        cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-12-01", date_format=bad)


def test_rfm_summary_refuses_day_first_dates_without_their_format():
    tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["02/01/2020", "25/01/2020", "03/01/2020"],
                       "amount": [10.0, 20.0, 5.0]})  # fmt: skip
    with pytest.raises(DataValidationError, match="date_format='%d/%m/%Y'"):
        cs.rfm_summary(tx, time_unit="day")
    rfm = cs.rfm_summary(tx, time_unit="day", date_format="%d/%m/%Y", calibration_end="31/01/2020")
    # customer 1: first purchase 2 Jan, repeat 25 Jan (recency 23 days), T to 31 Jan = 29 days
    assert rfm.loc[1, ["frequency", "recency", "T"]].tolist() == [1, 23.0, 29.0]
