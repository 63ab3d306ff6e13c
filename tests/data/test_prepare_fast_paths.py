"""The fast paths of ``prepare`` (issue 18) give the same answers as the reference rules.

The reference is written here, row by row in plain Python, from the documented rules: an event
column without ``event_value`` holds 0/1 or booleans; with ``event_value`` the declared set is
{event_value, censor_value} (or the most common other label); missing cells are reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv._validation import Violations
from churnsurv.data.rules import _lookup, id_problems, numeric_column, parse_events


def _rules(v: Violations) -> dict[str, list[int]]:
    return {rule: pos.tolist() for _, rule, pos, _ in v.records}


def _reference_events(values, event_value, censor_value):
    missing = [x is None or (isinstance(x, float) and np.isnan(x)) for x in values]
    present = [x for x, m in zip(values, missing, strict=True) if not m]
    if censor_value is None:
        others = pd.Series([x for x in present if x != event_value], dtype=object)
        declared = {event_value} | ({others.value_counts().index[0]} if len(others) else set())
    else:
        declared = {event_value, censor_value}
    outside = [
        i
        for i, (x, m) in enumerate(zip(values, missing, strict=True))
        if not m and x not in declared
    ]
    return [(not m) and x == event_value for x, m in zip(values, missing, strict=True)], outside


CASES = [
    (["Yes", "No", None, "No", "Maybe"], "Yes", None),
    (["Yes", "No", None, "No", "Maybe"], "Yes", "No"),
    (["churned", "active", "active", "churned"], "churned", None),
    ([1, 0, 2, 0, None], 1, 0),
    # more labels than rules._FEW_CODES: counted by bincount
    ([f"L{i % 12}" for i in range(30)] + [None, "L3", "L0"], "L3", None),
    ([f"L{i % 12}" for i in range(30)] + [None], "L3", "L5"),
]


@pytest.mark.parametrize(("values", "event_value", "censor_value"), CASES)
@pytest.mark.parametrize("categorical", [False, True])
@pytest.mark.parametrize("few_codes", [None, 0, 100])
def test_labelled_events_match_the_reference(
    values, event_value, censor_value, categorical, few_codes, monkeypatch
):
    # few_codes: labels counted by comparison (100), by bincount (0), the default's choice
    if few_codes is not None:
        monkeypatch.setattr("churnsurv.data.rules._FEW_CODES", few_codes)
    series = pd.Series(values, dtype=object)
    if categorical:
        series = series.astype("category").cat.add_categories(["unused"])
    v = Violations(len(values), None)
    got = parse_events(series, "e", v, event_value, censor_value)
    want, outside = _reference_events(values, event_value, censor_value)
    assert got.tolist() == want
    rules = _rules(v)
    missing = [i for i, x in enumerate(values) if x is None]
    assert rules.get("missing event", []) == missing
    outside_rule = [r for r in rules if r.startswith("event value outside")]
    assert (rules[outside_rule[0]] if outside_rule else []) == outside


@pytest.mark.parametrize("hits", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("dtype", [np.int8, np.intp])
def test_lookup_by_comparison_is_indexing(hits, dtype):
    # one or two labels looked for are compared, more are indexed; code -1 (missing) is False
    rng = np.random.default_rng(hits)
    table = np.zeros(5, dtype=bool)
    table[rng.choice(5, hits, replace=False)] = True
    codes = rng.integers(-1, 5, 200).astype(dtype)
    want = [bool(table[c]) if c >= 0 else False for c in codes]
    assert _lookup(table, codes).tolist() == want


@pytest.mark.parametrize(
    ("series", "events", "bad"),
    [
        (pd.Series([0, 1, 1, 0], dtype="int64"), [False, True, True, False], []),
        (pd.Series([0, 1, 2, 0], dtype="int8"), [False, True, False, False], [2]),
        (pd.Series([0.0, 1.0, np.nan, 0.5]), [False, True, False, False], [3]),
        (pd.Series([True, False, True]), [True, False, True], []),
        (pd.Series([True, None, False], dtype=object), [True, False, False], []),
        (pd.Series(["0", "1", "1"], dtype=object), [False, True, True], []),
    ],
)
def test_unlabelled_events(series, events, bad):
    v = Violations(len(series), None)
    assert parse_events(series, "e", v, None, None).tolist() == events
    assert _rules(v).get("event value outside the declared set {0, 1}", []) == bad


def test_numeric_durations_need_no_copy_and_keep_the_rules():
    x = np.array([1.0, np.nan, np.inf, 3.0])
    v = Violations(4, None)
    out = numeric_column(pd.Series(x), "t", v, "duration")
    assert np.shares_memory(out, x)  # float64: validated in place, copied once into the frame
    assert _rules(v) == {"missing duration": [1], "infinite duration": [2]}
    v = Violations(3, None)
    assert numeric_column(pd.Series([1, 2, 3]), "t", v, "duration").dtype == float


def test_prepare_keeps_the_input_untouched_and_the_index_positions():
    raw = pd.DataFrame({"t": [3.0, 5.0, -1.0], "e": [1, 0, 1]}, index=[10, 20, 30])
    data = cs.prepare(raw, duration="t", event="e", on_invalid="drop")
    assert data.excluded["row"].tolist() == [2]  # positions, whatever the index
    data.frame.loc[data.frame.index[0], "duration"] = 99.0
    assert raw["t"].tolist() == [3.0, 5.0, -1.0]  # the frame owns its copy


ID_CASES = {
    "text, unique": [f"C{i:05d}" for i in range(50)],
    "text, repeated and missing": ["a", "b", None, "a", "c", np.nan, "b", "b", "d"],
    "1 and '1' are two customers": [1, "1", 2, 2.0, None, "x"],
    "integers": [3, 1, 3, 2, 1, 7],
    "all missing": [None, None],
}


@pytest.mark.parametrize("ids", ID_CASES.values(), ids=ID_CASES.keys())
def test_id_problems_are_pandas_isna_and_duplicated(ids):
    """One factorize pass gives what isna() and duplicated(keep=False) & notna() give."""
    series = pd.Series(ids, dtype=object)
    missing, duplicate = id_problems(series)
    np.testing.assert_array_equal(missing, series.isna().to_numpy())
    np.testing.assert_array_equal(
        duplicate, (series.duplicated(keep=False) & series.notna()).to_numpy()
    )
