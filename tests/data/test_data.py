"""Tests of churnsurv.data: prepare(), ChurnData, exact time units, rfm_summary()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import churnsurv as cs
from churnsurv import DataValidationError


def _frame(**cols):
    base = {"id": ["a", "b", "c", "d"], "t": [1.0, 5.0, 3.0, 8.0], "e": [1, 0, 1, 0]}
    base.update(cols)
    return pd.DataFrame(base)


# ---------------------------------------------------------------------------------- happy path
def test_telco_prepare_counts():
    # Telco PROVENANCE.md: 7,043 customers, Churn Yes 1,869 / No 5,174, tenure 0-72.
    data = cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        margin="MonthlyCharges",
        segments="Contract",
    )
    assert (data.n, data.n_events, data.n_censored) == (7043, 1869, 5174)
    assert data.frame["duration"].min() == 0 and data.frame["duration"].max() == 72
    assert data.frame.index.name == "customerID" and data.frame.index.is_unique
    assert "Contract" in data.covariates and data.margin == "MonthlyCharges"
    assert data.n_input == data.n + len(data.excluded)
    html = data._repr_html_()
    for text in ("7043", "1869", "5174", "month", "0 to 72"):
        assert text in html


def test_event_encodings_agree():
    ref = cs.prepare(_frame(), duration="t", event="e").events
    as_bool = cs.prepare(_frame(e=[True, False, True, False]), duration="t", event="e").events
    labels = cs.prepare(
        _frame(e=["Yes", "No", "Yes", "No"]), duration="t", event="e", event_value="Yes"
    ).events
    np.testing.assert_array_equal(ref, [True, False, True, False])
    np.testing.assert_array_equal(as_bool, ref)
    np.testing.assert_array_equal(labels, ref)


def test_zero_duration_is_valid_and_entry_kept():
    data = cs.prepare(_frame(t=[0.0, 5, 3, 8]), duration="t", event="e")
    assert data.durations.tolist() == [0.0, 5, 3, 8]
    data = cs.prepare(_frame(en=[0, 1, 2, 7]), duration="t", event="e", entry="en")
    assert data.has_entry and data.entries.tolist() == [0, 1, 2, 7]


def test_covariates_restrict_carried_columns():
    df = _frame(x=[1, 2, 3, 4], y=["u", "v", "u", "v"], m=[10.0, 12, 9, 11])
    data = cs.prepare(df, id="id", duration="t", event="e", covariates=["x"], margin="m")
    assert list(data.frame.columns) == ["duration", "event", "x", "m"]
    assert data.covariates == ["x"]


# ---------------------------------------------------------------------------------- time units
@pytest.mark.parametrize(
    ("start", "end", "unit", "expected"),
    [
        ("2020-01-15", "2020-03-15", "month", 2.0),  # anniversary rule: same day of month
        ("2020-01-31", "2020-02-29", "month", 1.0),  # 31st anniversaries on the last day
        ("2021-01-31", "2021-02-28", "month", 1.0),
        ("2020-01-01", "2020-01-16", "month", 15 / 31),  # fraction of a 31-day month
        ("2020-02-01", "2020-02-15", "month", 14 / 29),  # leap February has 29 days
        ("2020-02-29", "2021-02-28", "year", 1.0),  # 29 Feb anniversaries on 28 Feb
        ("2020-01-01", "2021-07-02", "year", 1 + 182 / 365),  # 2021-01-01 -> 2022-01-01: 365 days
        ("2020-01-01", "2020-01-15", "week", 2.0),
        ("2020-01-01", "2020-12-31", "day", 365.0),
    ],
)
def test_elapsed_exact_units(start, end, unit, expected):
    got = cs.elapsed(pd.to_datetime([start]), pd.to_datetime([end]), unit)[0]
    assert got == pytest.approx(expected, abs=1e-12)


def test_elapsed_months_monotone_and_integer_on_anniversaries():
    start = pd.Timestamp("2019-05-17")
    ends = pd.date_range("2019-05-17", "2023-05-17", freq="D")
    months = cs.elapsed(pd.DatetimeIndex([start] * len(ends)), ends, "month")
    assert np.all(np.diff(months) > 0)
    anniversaries = ends[ends.day == 17]
    m = cs.elapsed(pd.DatetimeIndex([start] * len(anniversaries)), anniversaries, "month")
    np.testing.assert_allclose(m, np.arange(len(anniversaries)))


def test_dates_with_cutoff():
    df = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "start": ["2020-01-15", "2020-02-01", "2020-03-01", "2020-01-01"],
            "end": ["2020-03-15", None, "2021-06-01", "2020-12-01"],
        }
    )
    data = cs.prepare(df, id="id", start_date="start", end_date="end", cutoff="2020-12-01")
    # 1: churned after exactly 2 months; 2: no end -> censored at cutoff (10 months);
    # 3: end after cutoff -> censored at cutoff (9 months); 4: end on the cutoff -> churned.
    assert data.frame["duration"].tolist() == [2.0, 10.0, 9.0, 11.0]
    assert data.frame["event"].tolist() == [True, False, False, True]
    assert data.has_dates and data.cutoff == pd.Timestamp("2020-12-01")
    assert data.frame["end_date"].isna().tolist() == [False, True, True, False]


def test_entry_date_gives_left_truncation():
    df = pd.DataFrame({"start": ["2019-01-01", "2020-06-01"], "end": [None, "2020-09-01"]})
    data = cs.prepare(
        df, start_date="start", end_date="end", cutoff="2020-12-31", entry_date="2020-01-01"
    )
    assert data.entries.tolist() == [12.0, 0.0]
    assert data.frame["duration"].iloc[1] == pytest.approx(3.0)


# ---------------------------------------------------------------------------- validation rules
def _raises(df, match, **kw):
    args = {"id": "id", "duration": "t", "event": "e"} | kw
    with pytest.raises(DataValidationError, match=match) as info:
        cs.prepare(df, **args)
    return info.value


def test_missing_column_names_it_and_suggests():
    err = _raises(_frame(), r"column 'tt': missing column.*Did you mean \['t'\]", duration="tt")
    assert err.column == "tt" and err.rule == "missing column"
    assert isinstance(err, ValueError)


@pytest.mark.parametrize(
    ("values", "rule", "bad_ids"),
    [
        ([1.0, np.nan, 3, np.nan], "missing duration", ["b", "d"]),
        ([1.0, np.inf, 3, 4], "infinite duration", ["b"]),
        ([1.0, -2, -3, 4], "negative duration", ["b", "c"]),
        (["1", "x", "3", "4"], "non-numeric duration", ["b"]),
    ],
)
def test_duration_rules(values, rule, bad_ids):
    err = _raises(_frame(t=values), rf"column 't': {rule} in {len(bad_ids)} row\(s\)")
    assert err.rule == rule and err.n_rows == len(bad_ids) and err.examples == bad_ids
    assert str(bad_ids) in str(err)


def test_duplicate_id():
    err = _raises(_frame(id=["a", "b", "a", "d"]), r"column 'id': duplicate id in 2 row")
    assert err.examples == ["a", "a"]


def test_examples_are_capped_at_five():
    df = pd.DataFrame({"id": range(20), "t": [-1.0] * 20, "e": [1] * 20})
    err = _raises(df, r"negative duration in 20 row")
    assert err.examples == [0, 1, 2, 3, 4]


def test_event_value_outside_declared_set():
    df = _frame(e=["Yes", "No", "yes", "No"])
    err = _raises(df, r"column 'e': event value outside the declared set", event_value="Yes")
    assert err.examples == ["c"]
    df = _frame(e=[0, 1, 2, 1])
    _raises(df, r"outside the declared set \{0, 1\} in 1 row")
    _raises(_frame(e=["Yes", "No", "Yes", "No"]), r"need event_value=")
    _raises(_frame(e=["Yes", "No", "Yes", "No"]), r"never occurs", event_value="Churned")


def test_censor_value_declares_the_set():
    df = _frame(e=["Yes", "No", "Maybe", "No"])
    err = _raises(
        df, r"declared set \{'No', 'Yes'\} in 1 row", event_value="Yes", censor_value="No"
    )
    assert err.examples == ["c"]


def test_end_before_start_and_start_after_cutoff():
    df = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "s": ["2020-05-01", "2020-01-01", "2021-02-01"],
            "f": ["2020-01-01", None, None],
        }
    )
    with pytest.raises(DataValidationError, match=r"column 'f': end before start in 1 row") as info:
        cs.prepare(df, id="id", start_date="s", end_date="f", cutoff="2020-12-31")
    assert "start after cutoff 2020-12-31 in 1 row" in str(info.value)
    df.loc[0, "s"] = "not a date"
    with pytest.raises(DataValidationError, match=r"column 's': unparseable date in 1 row"):
        cs.prepare(df, id="id", start_date="s", end_date="f", cutoff="2020-12-31")


def test_entry_not_before_exit():
    err = _raises(_frame(en=[0, 5, 1, 9]), r"entry not before exit.* in 2 row", entry="en")
    assert err.examples == ["b", "d"]


def test_empty_table_and_bad_arguments():
    with pytest.raises(DataValidationError, match="empty"):
        cs.prepare(_frame().iloc[0:0], duration="t", event="e")
    with pytest.raises(DataValidationError, match="time_unit='fortnight'"):
        cs.prepare(_frame(), duration="t", event="e", time_unit="fortnight")
    with pytest.raises(DataValidationError, match="exactly one of duration"):
        cs.prepare(_frame(), event="e")
    with pytest.raises(DataValidationError, match="cutoff"):
        cs.prepare(_frame(), start_date="t")
    with pytest.raises(DataValidationError, match="on_invalid"):
        cs.prepare(_frame(), duration="t", event="e", on_invalid="ignore")
    with pytest.raises(DataValidationError, match="reserved"):
        cs.prepare(_frame(duration=[1, 2, 3, 4]), duration="t", event="e")
    with pytest.raises(DataValidationError, match="DataFrame"):
        cs.prepare([[1, 2]], duration="t", event="e")


def test_zero_events_where_an_estimator_needs_one():
    data = cs.prepare(_frame(e=[0, 0, 0, 0]), duration="t", event="e")
    with pytest.raises(DataValidationError, match=r"zero events in 4 rows; a Cox model needs"):
        data.require_events(purpose="a Cox model")
    data.require_events(0)
    one = cs.prepare(_frame(e=[0, 1, 0, 0]), duration="t", event="e")
    with pytest.raises(DataValidationError, match=r"too few events \(1 in 4 rows\)"):
        one.require_events(2)


def test_margin_rules():
    _raises(_frame(m=[1.0, -2, 3, 4]), r"column 'm': negative margin.* in 1 row", margin="m")
    _raises(_frame(m=[1.0, None, 3, 4]), r"column 'm': missing margin in 1 row", margin="m")
    ok = cs.prepare(
        _frame(m=[1.0, -2, 3, 4]), duration="t", event="e", margin="m", allow_negative_margin=True
    )
    assert ok.frame["m"].tolist() == [1.0, -2, 3, 4]


def test_segments_and_covariates_missing_values():
    _raises(_frame(g=["x", None, "y", "x"]), r"column 'g': missing segment value", segments="g")
    _raises(_frame(x=[1.0, None, 2, 3]), r"column 'x': missing covariate value", covariates=["x"])


def test_require_columns_messages():
    data = cs.prepare(_frame(x=[1.0, None, 2, 3], g=list("uvuv")), id="id", duration="t", event="e")
    with pytest.raises(DataValidationError, match=r"column 'x': missing values in 1 row.*\['b'\]"):
        data.require_columns(["x"], purpose="a Cox model")
    with pytest.raises(DataValidationError, match=r"column 'gg': unknown column.*Did you mean"):
        data.require_columns(["gg"])
    with pytest.raises(DataValidationError, match="must be numeric"):
        data.require_columns(["g"], numeric=True)


# ----------------------------------------------------------------------------- drop and report
def test_drop_reports_every_excluded_row_with_reasons():
    df = _frame(t=[1.0, -5, np.nan, 8], m=[1.0, 2, 3, -1])
    data = cs.prepare(df, id="id", duration="t", event="e", margin="m", on_invalid="drop")
    assert data.n == 1 and data.n_input == 4 and len(data.excluded) == 3
    reasons = dict(zip(data.excluded["id"], data.excluded["reason"], strict=True))
    assert reasons["b"] == "negative duration"
    assert reasons["c"] == "missing duration"
    assert reasons["d"].startswith("negative margin")
    assert "excluded" in repr(data) and "negative duration" in data._repr_html_()


def test_drop_everything_still_raises():
    with pytest.raises(DataValidationError, match="all 4 rows broke a rule"):
        cs.prepare(_frame(t=[-1.0] * 4), duration="t", event="e", on_invalid="drop")


_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.integers(-3, 100),
    st.sampled_from(["x", "", "7", None]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e", "f", None]),  # id, with duplicates/missing
            _cell,  # duration
            st.sampled_from(["Yes", "No", "maybe", None, 1]),  # event
            _cell,  # entry
            _cell,  # margin
        ),
        min_size=1,
        max_size=25,
    )
)
def test_rows_in_equal_rows_kept_plus_excluded(rows):
    df = pd.DataFrame(rows, columns=["id", "t", "e", "en", "m"])
    try:
        data = cs.prepare(
            df,
            id="id",
            duration="t",
            event="e",
            event_value="Yes",
            censor_value="No",
            entry="en",
            margin="m",
            on_invalid="drop",
        )
    except DataValidationError as err:
        # Only allowed when nothing survives, or the event label never occurs at all.
        message = str(err)
        assert message.startswith(f"all {len(df)} rows broke a rule") or "never occurs" in message
        return
    assert data.n + len(data.excluded) == data.n_input == len(df)
    # each excluded row is reported once, by its position; the kept customers are the others
    excluded = data.excluded["row"].tolist()
    assert excluded == sorted(set(excluded)) and set(excluded) <= set(range(len(df)))
    kept_rows = [i for i in range(len(df)) if i not in set(excluded)]
    assert data.frame.index.tolist() == df["id"].iloc[kept_rows].tolist()
    assert all(len(reason) > 0 for reason in data.excluded["reason"])
    kept = data.frame
    assert np.isfinite(kept["duration"]).all() and (kept["duration"] >= 0).all()
    assert (kept["entry"] < kept["duration"]).all() and kept.index.is_unique


# --------------------------------------------------------------------------------------- panels
def test_prepare_panel_rules():
    panel = pd.DataFrame(
        {
            "id": [1, 1, 2, 2],
            "a": [0, 3, 0, 2],
            "b": [3, 5, 4, 6],
            "ev": [1, 0, 0, 1],
            "x": [1, 2, 3, 4],
        }
    )
    with pytest.raises(
        DataValidationError, match=r"overlapping intervals of one customer in 1 row"
    ) as info:
        cs.prepare_panel(panel, id="id", start="a", stop="b", event="ev")
    assert info.value.examples == [2]
    assert "event on an interval that is not the customer's last in 1 row" in str(info.value)
    panel.loc[3, "a"] = 4
    panel.loc[0, "ev"] = 0
    panel.loc[1, "ev"] = 1
    ok = cs.prepare_panel(panel, id="id", start="a", stop="b", event="ev")
    assert ok.n == 4 and ok.n_events == 2 and ok.panel


def test_prepare_panel_drop_removes_whole_customer():
    panel = pd.DataFrame(
        {
            "id": [1, 1, 2, 3],
            "a": [0, 3, 0, 0],
            "b": [3, 5, 4, 2],
            "ev": [0, 1, 0, 1],
            "x": [1, 2, 3, 4],
        }
    )
    panel.loc[1, "b"] = 2  # stop before start on customer 1's second interval
    d = cs.prepare_panel(panel, id="id", start="a", stop="b", event="ev", on_invalid="drop")
    assert sorted(set(d.frame.index)) == [2, 3]
    assert d.n + len(d.excluded) == d.n_input == 4


# ------------------------------------------------------------------------------------------ rfm
@pytest.fixture(scope="module")
def cdnow_rfm():
    return cs.rfm_summary(
        cs.datasets.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30"
    )


def test_rfm_cdnow_published_counts(cdnow_rfm):
    # Fader, Hardie & Lee (2005) CDNOW sample, 39-week calibration from 1997-01-01
    # (shared/datasets/cdnow/PROVENANCE.md): 2,357 customers, 2,457 repeat transactions in
    # calibration, 4,339 cumulative repeat transactions by week 78, 946 with >= 1 repeat.
    rfm = cdnow_rfm
    assert len(rfm) == 2357
    assert int(rfm["frequency"].sum()) == 2457
    assert int((rfm["frequency"] > 0).sum()) == 946
    assert int(rfm["frequency"].sum() + rfm["frequency_holdout"].sum()) == 4339
    # T for a customer whose first purchase was on 1997-01-01: 272 days = 38.857 weeks
    # (Hardie's CDNOW summary file lists T = 38.86 for customer 0001).
    assert rfm.loc["0001", "T"] == pytest.approx(272 / 7)
    assert (rfm["recency"] <= rfm["T"]).all() and (rfm["monetary_value"] >= 0).all()
    assert rfm.attrs["excluded_customers"] == []
    assert rfm["duration_holdout"].iloc[0] == pytest.approx(273 / 7)


def test_rfm_same_day_purchases_merged():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "date": ["2020-01-01", "2020-01-08", "2020-01-08", "2020-01-05"],
            "amount": [10.0, 5.0, 7.0, 3.0],
        }
    )
    rfm = cs.rfm_summary(tx, calibration_end="2020-01-15")
    assert rfm.loc["a"].tolist() == [1, 1.0, 2.0, 12.0]
    assert rfm.loc["b"].tolist() == [0, 0.0, 10 / 7, 0.0]


def test_rfm_bad_input():
    tx = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2020-01-01", "2020-13-45"], "amount": [1.0, 2]}
    )
    with pytest.raises(DataValidationError, match=r"column 'date': unparseable date in 1 row"):
        cs.rfm_summary(tx)
    tx = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2020-01-01", "2020-01-02"], "amount": [1.0, -2]}
    )
    with pytest.raises(DataValidationError, match=r"column 'amount': negative amount in 1 row"):
        cs.rfm_summary(tx)
    with pytest.raises(DataValidationError, match="observation_end .* must be after"):
        cs.rfm_summary(
            tx.assign(amount=1.0), calibration_end="2020-02-01", observation_end="2020-01-01"
        )
    with pytest.raises(DataValidationError, match="missing column"):
        cs.rfm_summary(tx, amount="spend")


def test_rfm_customers_after_calibration_are_reported():
    tx = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2020-01-01", "2020-03-01"], "amount": [1.0, 2]}
    )
    rfm = cs.rfm_summary(tx, calibration_end="2020-02-01")
    assert list(rfm.index) == ["a"] and rfm.attrs["excluded_customers"] == ["b"]


# --------------------------------------------------------------------------------------------
# panels: their own type; estimators handle them exactly or refuse
# --------------------------------------------------------------------------------------------
def _split_panel():
    """Three customers (churn at 5, censored at 4, churn at 2), each split into intervals."""
    return pd.DataFrame(
        {
            "id": ["a", "a", "b", "b", "c"],
            "start": [0, 3, 0, 1, 0],
            "stop": [3, 5, 1, 4, 2],
            "churn": [0, 1, 0, 0, 1],
            "plan": ["x", "x", "y", "y", "x"],
        }
    )


def test_panel_kaplan_meier_equals_the_unsplit_customers():
    """Regression: intervals were taken as customers starting at 0 (S(2) = 0.75, not 2/3).

    Hand computation: at t=2, 3 at risk, 1 churn -> 2/3; at t=5, 1 at risk, 1 churn -> 0.
    """
    panel = cs.prepare_panel(_split_panel(), id="id", start="start", stop="stop", event="churn")
    assert isinstance(panel, cs.PanelData) and panel.n == 5 and panel.n_customers == 3
    km = cs.KaplanMeier().fit(panel)
    assert km.survival_at([2])["survival"].iloc[0] == pytest.approx(2 / 3, abs=1e-12)
    plain = cs.prepare(pd.DataFrame({"t": [5, 4, 2], "e": [1, 0, 1]}), duration="t", event="e")
    ref = cs.KaplanMeier().fit(plain)
    # interval ends show as rows with no event (as in R's survfit on Surv(start, stop, event));
    # the curve, its SE and the numbers at risk at every time equal the unsplit fit's
    grid = [0, 1, 2, 3, 4, 5]
    pd.testing.assert_frame_equal(km.survival_at(grid), ref.survival_at(grid))
    cols = ["at_risk", "cum_events"]
    pd.testing.assert_frame_equal(km.at_risk(grid)[cols], ref.at_risk(grid)[cols])
    assert km.summary["n"].iloc[0] == 3  # customers, not intervals
    # the log-rank test on the panel equals the test on the unsplit customers
    unsplit = plain.frame.assign(plan=["x", "y", "x"])
    plain2 = cs.prepare(unsplit, duration="duration", event="event")
    a = cs.logrank(panel, "plan")
    b = cs.logrank(plain2, "plan")
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)
    assert a.table["n"].tolist() == [2, 1]


def test_panel_is_refused_where_one_row_per_customer_is_needed():
    panel = cs.prepare_panel(_split_panel(), id="id", start="start", stop="stop", event="churn")
    km = cs.KaplanMeier().fit(panel)  # Kaplan-Meier takes a panel; the CLV of it does not
    weibull = cs.WeibullAFT()
    for call in (
        lambda: cs.churn_rates(panel),
        lambda: cs.life_table(panel),
        lambda: cs.clv(km, panel, margin=1.0, annual_discount_rate=0.1, horizon=3),
        lambda: weibull.fit(panel),
    ):
        with pytest.raises(DataValidationError, match="one row per customer"):
            call()
    last = panel.customers()
    assert last.n == 3 and not last.panel and last.n_events == 2
    assert last.frame.loc["a", "duration"] == 5 and last.frame.loc["b", "duration"] == 4
    assert "PanelData: 5 intervals, 3 customers" in repr(panel)
