"""Real-world input that broke churnsurv (issue #12, items 5-8 and 11): each is now a clear
DataValidationError naming the column and the rule, or a correct answer."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import churnsurv as cs
from churnsurv import DataValidationError


def _dates(**cols):
    base = {"start": ["2020-01-15", "2020-02-01", "2020-03-10"], "end": ["2020-03-15", None, None]}
    base.update(cols)
    return pd.DataFrame(base)


# ---------------------------------------------------------------------------- 5. time zones
def test_offsets_and_tz_aware_dates_are_read_on_one_clock():
    """Before: pandas' TypeError 'Invalid comparison' from deep inside prepare."""
    naive = cs.prepare(_dates(), start_date="start", end_date="end", cutoff="2020-12-01")
    offset = _dates(start=["2020-01-15T02:00:00+02:00", "2020-02-01T00:00:00Z", "2020-03-10"])
    got = cs.prepare(offset, start_date="start", end_date="end", cutoff="2020-12-01T00:00:00Z")
    # 02:00+02:00 is midnight UTC: the same durations as the naive dates
    np.testing.assert_allclose(got.durations, naive.durations)
    aware = _dates()
    aware["start"] = pd.to_datetime(aware["start"]).dt.tz_localize("Europe/Paris")
    got = cs.prepare(aware, start_date="start", end_date="end", cutoff=pd.Timestamp("2020-12-01"))
    assert got.n == 3 and got.cutoff == pd.Timestamp("2020-12-01")


@pytest.mark.parametrize("cutoff", ["soon", "", pd.NaT, np.nan])
def test_a_cutoff_that_is_not_a_date_is_refused(cutoff):
    """Before: DateParseError traceback ('soon'), or all-NaN durations and IndexError later."""
    with pytest.raises(DataValidationError, match="cutoff=.* is not a date") as err:
        cs.prepare(_dates(), start_date="start", end_date="end", cutoff=cutoff)
    assert err.value.column == "cutoff"


# ------------------------------------------------------------------------- 7. panel names
def test_panel_refuses_columns_named_like_its_own():
    """Before: a carried 'event' column overwrote the panel's (n_events 3 instead of 1)."""
    panel = pd.DataFrame(
        {"id": [1, 1, 2], "t0": [0, 3, 0], "t1": [3, 5, 4], "churn": [0, 1, 0], "event": [1, 1, 1]}
    )
    with pytest.raises(DataValidationError, match="reserved") as err:
        cs.prepare_panel(panel, id="id", start="t0", stop="t1", event="churn")
    assert err.value.column == "event"


@pytest.mark.parametrize("name", ["row", "column", "reason"])
def test_excluded_rows_keep_their_ids_whatever_the_id_column_is_called(name):
    raw = pd.DataFrame({name: ["a", "b", "c"], "t": [1.0, -1.0, 2.0], "e": [1, 0, 1]})
    data = cs.prepare(raw, id=name, duration="t", event="e", on_invalid="drop")
    assert data.excluded["id"].tolist() == ["b"]
    assert data.excluded["reason"].tolist() == ["negative duration"]


def test_panel_ids_of_different_types_are_different_customers():
    panel = pd.DataFrame(
        {"id": [1, "1"], "t0": [0, 0], "t1": [3, 4], "churn": [1, 0]}, dtype=object
    )
    d = cs.prepare_panel(panel, id="id", start="t0", stop="t1", event="churn")
    assert d.n_customers == 2  # before: one customer with overlapping intervals


# --------------------------------------------------------------------------- 8. units
@pytest.mark.parametrize(
    "values, kind",
    [
        ([True, False, True], "boolean"),
        ([1 + 2j, 2 + 0j, 3 + 0j], "complex"),
        (pd.to_timedelta([1, 2, 3], unit="D"), "timedelta64"),
        (pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"]), "datetime64"),
    ],
)
def test_durations_that_are_not_numbers_are_refused(values, kind):
    """Before: read as 0/1, as the real part, or as nanoseconds."""
    raw = pd.DataFrame({"t": values, "e": [1, 0, 1]})
    with pytest.raises(DataValidationError, match=f"holds {kind} values") as err:
        cs.prepare(raw, duration="t", event="e")
    assert err.value.column == "t"


def test_integer_dates_are_refused():
    """Before: 20200115 read as nanoseconds since 1970 ('follow-up 0 to 654 months')."""
    raw = pd.DataFrame({"start": [20200115, 20200201], "end": [20210115, 20220201]})
    with pytest.raises(DataValidationError, match="dates are numbers") as err:
        cs.prepare(raw, start_date="start", end_date="end", cutoff="2024-12-31")
    assert err.value.rule == "numeric dates"


# ----------------------------------------------------------------- 11. degenerate inputs
def test_duplicate_column_names_are_refused():
    raw = pd.DataFrame([[1.0, 1, 2.0]], columns=["t", "e", "t"])
    with pytest.raises(DataValidationError, match="duplicate column name"):
        cs.prepare(raw, duration="t", event="e")


def test_an_integer_column_name_works_as_a_segment():
    raw = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 0, 1], 0: ["a", "b", "a"]})
    data = cs.prepare(raw, duration="t", event="e", segments=0)
    assert data.segments == [0]


def test_prepare_panel_of_none_is_a_clear_error():
    with pytest.raises(DataValidationError, match="expected a pandas DataFrame"):
        cs.prepare_panel(None, id="id", start="a", stop="b", event="e")


def test_segment_labels_that_collide_stay_apart():
    raw = pd.DataFrame(
        {"t": [1.0, 2, 3, 4], "e": [1, 1, 0, 1], "g": pd.Series([1, "1", 1, "1"], dtype=object)}
    )
    km = cs.KaplanMeier().fit(cs.prepare(raw, duration="t", event="e"), by="g")
    assert len(set(km.summary.index)) == 2


def test_all_zero_weights_are_refused():
    raw = pd.DataFrame({"t": [1.0, 2.0], "e": [1, 0]})
    with pytest.raises(DataValidationError, match="every weight is 0"):
        cs.KaplanMeier().fit(cs.prepare(raw, duration="t", event="e"), weights=[0.0, 0.0])


def test_log_rank_on_one_group_is_refused(telco):
    one = telco.take(np.flatnonzero(telco.frame["Contract"] == "Two year"))
    with pytest.raises(DataValidationError, match="at least two"):
        cs.logrank(one, "Contract")


def test_clv_arguments_that_made_no_sense(telco):
    km = cs.KaplanMeier().fit(telco, by="Contract")
    with pytest.raises(DataValidationError, match="n_boot"):
        cs.clv(km, telco, annual_discount_rate=0.1, horizon=12, ci=True, n_boot=0)
    with pytest.raises(DataValidationError, match="horizon"):
        cs.clv(km, telco, annual_discount_rate=0.1, horizon=True)
    cox = cs.CoxModel("Contract").fit(telco)
    tail = pd.Series(0.98 ** np.arange(200.0))
    with pytest.raises(DataValidationError, match="tiers"):
        cs.value_at_risk(
            cox, telco, within=6, annual_discount_rate=0.1, horizon=60, tail=tail, tiers=(0.9, 0.1)
        )
    rising = pd.Series(np.linspace(1.0, 1.5, 200))  # not a survival curve
    with pytest.raises(DataValidationError, match="tail"):
        cs.value_at_risk(cox, telco, within=6, annual_discount_rate=0.1, horizon=100, tail=rising)


# --------------------------------------------------------- randomized corruption (evidence)
_TELCO_HEAD = (
    cs.datasets.load_telco()
    .head(200)
    .astype({"tenure": object, "MonthlyCharges": object, "Churn": object, "Contract": object})
)
_CORRUPTIONS = {
    "tenure": [-1.0, np.nan, np.inf, "twelve"],
    "Churn": ["Maybe", None],
    "MonthlyCharges": [-5.0, np.nan, "n/a"],
    "Contract": [None],
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(
        st.tuples(
            st.integers(0, 199),
            st.sampled_from(sorted(_CORRUPTIONS)),
            st.integers(0, 3),
        ),
        max_size=25,
    )
)
def test_excluded_rows_are_exactly_the_corrupted_rows(picks):
    """rows in = rows kept + rows excluded, and the excluded rows are the corrupted ones."""
    raw = _TELCO_HEAD.copy()
    corrupted = set()
    for row, column, k in picks:
        values = _CORRUPTIONS[column]
        raw.loc[row, column] = values[k % len(values)]
        corrupted.add(row)
    data = cs.prepare(
        raw,
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        censor_value="No",
        segments="Contract",
        margin="MonthlyCharges",
        on_invalid="drop",
    )
    assert data.n + len(data.excluded) == data.n_input == 200
    assert set(data.excluded["row"]) == corrupted
    assert set(data.excluded["customerID"]) == set(raw.loc[sorted(corrupted), "customerID"])
