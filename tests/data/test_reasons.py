"""prepare(reason=...): churn reasons validated like events (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv import DataValidationError


def _raw(**cols):
    base = {
        "id": ["a", "b", "c", "d", "e"],
        "t": [3.0, 12.0, 5.0, 7.0, 2.0],
        "churned": [1, 0, 1, 1, 0],
        "why": ["price", None, "payment_failure", "price", ""],
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_reasons_are_read_in_declared_order():
    data = cs.prepare(
        _raw(),
        id="id",
        duration="t",
        event="churned",
        reason="why",
        reason_values=["price", "service", "payment_failure"],
    )
    assert data.reasons == ["price", "service", "payment_failure"]
    assert data.has_reasons
    assert data.reason_codes.tolist() == [1, 0, 3, 1, 0]
    assert data.frame["reason"].isna().tolist() == [False, True, False, False, True]
    assert "why" not in data.frame.columns and "reason" in data.frame.columns
    assert "churn reasons: price 2, service 0, payment_failure 1" in repr(data)


def test_default_labels_sorted_or_in_category_order():
    assert cs.prepare(_raw(), duration="t", event="churned", reason="why").reasons == [
        "payment_failure",
        "price",
    ]
    cat = pd.Categorical(_raw()["why"].replace("", None), categories=["price", "payment_failure"])
    data = cs.prepare(_raw(why=cat), duration="t", event="churned", reason="why")
    assert data.reasons == ["price", "payment_failure"]


@pytest.mark.parametrize(
    "why, rule, rows",
    [
        (["price", None, None, "price", None], "churned row without a reason", ["c"]),
        (["price", "price", "price", "price", None], "reason on a censored row", ["b"]),
        (["price", None, "moved", "price", None], "unknown reason", ["c"]),
    ],
)
def test_each_rule_names_column_count_and_ids(why, rule, rows):
    raw = _raw(why=why)
    with pytest.raises(DataValidationError) as err:
        cs.prepare(
            raw,
            id="id",
            duration="t",
            event="churned",
            reason="why",
            reason_values=["price", "payment_failure"],
        )
    assert err.value.column == "why" and err.value.rule == rule
    assert err.value.n_rows == len(rows) and err.value.examples == rows
    data = cs.prepare(
        raw,
        id="id",
        duration="t",
        event="churned",
        reason="why",
        reason_values=["price", "payment_failure"],
        on_invalid="drop",
    )
    assert data.excluded["id"].tolist() == rows
    assert data.excluded["reason"].tolist() == [rule]
    assert data.n + len(data.excluded) == data.n_input == 5


def test_groups_declare_labels_and_group_reasons():
    groups = {"price": "voluntary", "payment_failure": "involuntary"}
    data = cs.prepare(_raw(), duration="t", event="churned", reason="why", reason_groups=groups)
    assert data.reasons == ["price", "payment_failure"] and data.reason_groups == groups
    grouped = data.group_reasons()
    assert grouped.reasons == ["voluntary", "involuntary"]
    assert grouped.reason_codes.tolist() == [1, 0, 2, 1, 0]
    with pytest.raises(DataValidationError, match="no group for reason"):
        cs.prepare(
            _raw(),
            duration="t",
            event="churned",
            reason="why",
            reason_values=["price", "payment_failure", "service"],
            reason_groups=groups,
        )
    with pytest.raises(DataValidationError, match="group_reasons"):
        cs.prepare(_raw(), duration="t", event="churned", reason="why").group_reasons()


def test_one_status_column_holds_the_reasons():
    raw = _raw(status=["price", "active", "payment_failure", "price", "active"])
    data = cs.prepare(raw, duration="t", reason="status", censor_value="active")
    assert data.events.tolist() == [True, False, True, True, False]
    assert data.reasons == ["payment_failure", "price"]
    # without censor_value, "active" would be a reason: every row churned
    assert cs.prepare(raw, duration="t", reason="status").n_events == 5


def test_for_reason_censors_other_reasons():
    data = cs.prepare(_raw(), duration="t", event="churned", reason="why")
    price = data.for_reason("price")
    assert price.events.tolist() == [True, False, False, True, False]
    assert data.events.tolist() == [True, False, True, True, False]  # unchanged
    with pytest.raises(DataValidationError, match="not one of"):
        data.for_reason("moved")


def test_take_keeps_reasons():
    data = cs.prepare(_raw(), duration="t", event="churned", reason="why")
    boot = data.take([0, 0, 2])
    assert boot.reasons == data.reasons and boot.reason_codes.tolist() == [2, 2, 1]


def test_dates_churn_after_cutoff_drops_the_reason():
    raw = pd.DataFrame(
        {
            "start": ["2020-01-01", "2020-01-01", "2020-01-01"],
            "end": ["2020-03-01", "2021-06-01", None],
            "why": ["price", "service", None],
        }
    )
    data = cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-12-31", reason="why")
    assert data.events.tolist() == [True, False, False]
    assert data.frame["reason"].tolist()[0] == "price"
    assert data.frame["reason"].isna().tolist() == [False, True, True]
    raw.loc[2, "why"] = "price"  # a reason without a churn date
    with pytest.raises(DataValidationError, match="reason on a censored row"):
        cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-12-31", reason="why")


def test_argument_rules():
    with pytest.raises(DataValidationError, match="needs reason="):
        cs.prepare(_raw(), duration="t", event="churned", reason_values=["price"])
    with pytest.raises(DataValidationError, match="must be a list"):
        cs.prepare(_raw(), duration="t", event="churned", reason="why", reason_values="price")
    with pytest.raises(DataValidationError, match="missing column"):
        cs.prepare(_raw(), duration="t", event="churned", reason="because")
    # a carried column named "reason" would collide with the validated one
    with pytest.raises(DataValidationError, match="reserved"):
        cs.prepare(_raw(reason=1), duration="t", event="churned", reason="why")
    # ...but is an ordinary column when no reason= is given
    assert "reason" in cs.prepare(_raw(reason=1), duration="t", event="churned").frame
    d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 1]}), duration="t", event="e")
    with pytest.raises(DataValidationError, match="needs churn reasons"):
        d.require_reasons()


def test_simulated_base_round_trip():
    base = cs.simulate_customers(500, rng=3)
    data = cs.prepare(
        base.customers, id="customer_id", duration="tenure", event="churned", reason="reason"
    )
    assert data.reasons == list(base.truth["reason_shares"])
    counts = base.customers["reason"].value_counts()
    np.testing.assert_array_equal(
        np.bincount(data.reason_codes, minlength=5)[1:], counts[data.reasons].to_numpy()
    )
