"""The fast cox.zph path (on the fit's risk sets) against the reference path it replaced.

The reference is :func:`churnsurv.regression.cox.likelihood.zph_test` / ``schoenfeld``, which
rebuild every row's risk-set bounds and the per-step means (``likelihood.pairs``) on each call;
they are themselves checked against R ``cox.zph`` in ``tests/reference/coxzph.json`` (through
``test_cox_r_reference.py`` before this change) and against a split-data PHReg score test in
``test_cox.py``. Here the two paths must agree to rounding on data with every complication the
likelihood handles: tied whole-month times (Efron and Breslow), strata, case weights and entry
times (left truncation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.regression.cox import diagnostics, phtest
from churnsurv.regression.cox import likelihood as core


@pytest.fixture(scope="module")
def base():
    rng = np.random.default_rng(20261201)
    n = 600
    plan = rng.choice(["basic", "plus", "pro"], n)
    region = rng.choice(["north", "south"], n)
    charge = rng.normal(60, 15, n).round(2)
    lp = np.select([plan == "plus", plan == "pro"], [-0.5, -1.0], 0.0) + 0.01 * (charge - 60)
    t_event = rng.weibull(0.8, n) * 30 * np.exp(-lp / 0.8)
    follow = rng.integers(3, 40, n)
    entry = np.floor(rng.uniform(0, 0.6, n) * np.minimum(t_event, follow))
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "tenure": np.minimum(np.ceil(t_event), follow).astype(float),
            "churned": t_event <= follow,
            "entry": entry,
            "plan": plan,
            "region": region,
            "charge": charge,
            "w": rng.integers(1, 4, n).astype(float),
        }
    )


def _old_km_transform(train):
    """The km time scale as it was computed before (from ``likelihood.pairs``)."""
    P = core.pairs(
        np.zeros((len(train.time), 1)),
        train.time,
        train.event,
        np.ones(len(train.time)),
        np.zeros(1),
        entry=train.entry,
        ties="breslow",
    )[0]
    q = np.bincount(P.k, P.dbar / P.den, P.times.size)
    km_left = np.r_[1.0, np.cumprod(1 - q)]
    return lambda t: 1 - km_left[np.searchsorted(P.times, t, side="left")]


CASES = [
    pytest.param("efron", False, False, False, id="efron"),
    pytest.param("breslow", False, False, False, id="breslow"),
    pytest.param("efron", True, False, False, id="efron-strata"),
    pytest.param("efron", False, True, False, id="efron-weights"),
    pytest.param("efron", False, False, True, id="efron-entry"),
    pytest.param("breslow", True, True, True, id="breslow-all"),
    pytest.param("efron", True, True, True, id="efron-all"),
]


@pytest.mark.parametrize(("ties", "strata", "weights", "entry"), CASES)
@pytest.mark.parametrize("transform", ["km", "rank", "identity", "log"])
def test_fast_zph_and_residuals_equal_reference(base, ties, strata, weights, entry, transform):
    data = cs.prepare(
        base,
        id="id",
        duration="tenure",
        event="churned",
        entry="entry" if entry else None,
        covariates=["plan", "region", "charge", "w"],
    )
    formula = "plan + charge" if strata else "plan + region + charge"
    model = cs.CoxModel(formula, ties=ties, strata="region" if strata else None)
    fit = model.fit(data, weights="w" if weights else None).fit_state_
    train = fit.train
    if transform == "km":
        g_old = _old_km_transform(train)
        g_new = diagnostics.time_transform(train, "km")
        t = np.unique(train.time)
        np.testing.assert_allclose(g_new(t), g_old(t), rtol=1e-13, atol=1e-15)
    g = diagnostics.time_transform(train, transform)
    groups = [fit.design.terms[k] for k in fit.design.terms]
    old = train.call(core.zph_test, fit.beta, g, groups)
    new = phtest.zph_statistics(train.risk_sets(), fit.beta, g, groups)
    np.testing.assert_allclose(new[0], old[0], rtol=1e-9)
    np.testing.assert_allclose(new[1], old[1], rtol=1e-9)
    res_old, times_old, rows_old = train.call(core.schoenfeld, fit.beta)
    res_new, times_new, rows_new = phtest.schoenfeld(train.risk_sets(), fit.beta)
    np.testing.assert_array_equal(rows_new, rows_old)
    np.testing.assert_array_equal(times_new, times_old)
    np.testing.assert_allclose(res_new, res_old, rtol=1e-9, atol=1e-10)


def test_results_are_computed_once_and_returned_as_copies(base):
    data = cs.prepare(base, id="id", duration="tenure", event="churned", covariates=["plan"])
    m = cs.CoxModel("plan").fit(data)
    first = m.check_proportional_hazards(significance=1e-12)
    first.loc["GLOBAL", "chisq"] = -1.0  # a caller's edit does not reach the next call
    again = m.check_proportional_hazards(significance=1e-12)
    assert again.loc["GLOBAL", "chisq"] > 0
    memo = m.fit_state_.train.memo
    assert sum(key[0] == "zph" for key in memo) == 1
    r = m.schoenfeld_residuals()
    r.iloc[0, 0] = np.nan
    assert np.isfinite(m.schoenfeld_residuals().iloc[0, 0])
    # a refit starts afresh
    m.fit(data)
    assert not m.fit_state_.train.memo


def test_strata_labels_and_groups_equal_the_row_by_row_reference():
    from churnsurv.regression.cox.risksets import strata_rows
    from churnsurv.regression.cox.strata import strata_labels

    rng = np.random.default_rng(7)
    n = 500
    frame = pd.DataFrame(
        {
            "text": rng.choice(["b", "a", "Month-to-month", "c / d"], n),
            "cat": pd.Categorical(rng.choice(["x", "y"], n), categories=["y", "x", "unused"]),
            "int": rng.integers(0, 3, n),
            "bool": rng.random(n) < 0.5,
            "float": rng.choice([0.0, -0.0, 1.5, np.nan], n),
            "mixed": pd.Series(rng.choice([1, 1.0, "1"], n), dtype=object),
        }
    )
    for cols in (["text"], ["cat", "int"], ["bool", "float", "text"], ["mixed"], list(frame)):
        # the reference: the text of each column joined row by row (CoxModel before this change)
        ref = frame[cols].astype(str).agg(" / ".join, axis=1).to_numpy()
        labels = strata_labels(frame, cols)
        np.testing.assert_array_equal(labels, ref)
        groups = strata_rows(labels, n)
        _, codes = np.unique(ref, return_inverse=True)
        order = np.argsort(codes, kind="stable")
        expected = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
        assert len(groups) == len(expected)
        for got, want in zip(groups, expected, strict=True):
            np.testing.assert_array_equal(got, want)


def test_first_rows_by_hashing_equal_np_unique():
    # issue 18: the first row of each stratum code by hashing, as np.unique's return_index
    from churnsurv.regression.cox.strata import _first

    rng = np.random.default_rng(18)
    for n, k in [(1, 1), (50, 7), (200_000, 37)]:
        codes = pd.factorize(rng.integers(0, k, n))[0]
        size = int(codes.max()) + 1
        np.testing.assert_array_equal(_first(codes, size), np.unique(codes, return_index=True)[1])
