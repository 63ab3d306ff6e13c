"""The Cox engine's fast paths against direct transcriptions of their definitions.

``RiskSets`` (sorted runs, one sparse pass and one chunked Gram matrix per Newton step) is checked
against a loop over event times and Efron steps written from R's ``coxfit6.c`` / ``agfit4.c``
definitions (risk set ``(entry, exit]``, ``m`` tied deaths counted in rows, each step ``r`` removing
``r / m`` of the deaths' risk and carrying the mean death weight), with case weights, strata, entry
times and collapsed-row counts; to 1e-10. The linear predictor of new data computed without the
design matrix (``fast_design``) is checked against formulaic's matrix times ``beta``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnsurv.exceptions import DataValidationError
from churnsurv.regression.cox import likelihood as core
from churnsurv.regression.cox.risksets import RiskSets
from churnsurv.regression.design import Design


def direct_efron(X, time, event, w, beta, *, entry=None, strata=None, ties="efron", counts=None):
    """Log partial likelihood, gradient and Hessian by the textbook loops (R's definition)."""
    n, p = X.shape
    entry = np.full(n, -np.inf) if entry is None else entry
    strata = np.zeros(n) if strata is None else strata
    counts = np.ones(n) if counts is None else counts
    risk = w * np.exp(X @ beta)
    ll, grad, hess = 0.0, np.zeros(p), np.zeros((p, p))
    for s in np.unique(strata):
        ins = strata == s
        for t in np.unique(time[ins & event]):
            at = ins & (entry < t) & (t <= time)
            dead = ins & event & (time == t)
            m = int(round(counts[dead].sum()))
            dbar = w[dead].sum() / m
            ll += w[dead] @ (X[dead] @ beta)
            grad += w[dead] @ X[dead]
            for step in range(m):
                f = step / m if ties == "efron" else 0.0
                wt = risk * (at - f * dead)
                den = wt.sum()
                s1 = wt @ X
                s2 = (X * wt[:, None]).T @ X
                ll -= dbar * np.log(den)
                grad -= dbar * s1 / den
                hess -= dbar * (s2 / den - np.outer(s1, s1) / den**2)
    return ll, grad, hess


def _data(seed, n=240, p=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    time = rng.integers(1, 15, n).astype(float)  # many ties
    event = rng.random(n) < 0.6
    entry = np.where(rng.random(n) < 0.4, np.floor(time * rng.random(n)), 0.0)
    w = rng.integers(1, 4, n).astype(float) * rng.choice([1.0, 0.5], n)
    strata = rng.choice(["a", "b", "c"], n)
    return X, time, event, w, entry, strata


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("with_entry", [False, True])
@pytest.mark.parametrize("with_strata", [False, True])
def test_risk_sets_match_the_direct_definition(ties, with_entry, with_strata):
    X, time, event, w, entry, strata = _data(7)
    beta = np.array([0.3, -0.2, 0.1])
    kw = {
        "entry": entry if with_entry else None,
        "strata": strata if with_strata else None,
        "ties": ties,
    }
    fast = RiskSets(X, time, event, w, **kw).evaluate(beta)
    slow = direct_efron(X, time, event, w, beta, **kw)
    np.testing.assert_allclose(fast[0], slow[0], rtol=1e-12)
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fast[2], slow[2], rtol=1e-10, atol=1e-10)


def test_collapsed_counts_match_the_direct_definition():
    # a merged row standing for c customers: Efron's m counts the customers (R on all rows)
    X, time, event, _, _, strata = _data(11)
    counts = np.random.default_rng(3).integers(1, 6, len(time)).astype(float)
    beta = np.array([-0.1, 0.25, 0.05])
    fast = RiskSets(X, time, event, counts, strata=strata, counts=counts).evaluate(beta)
    slow = direct_efron(X, time, event, counts, beta, strata=strata, counts=counts)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_gram_chunks_and_a_stratum_without_events(monkeypatch):
    # more rows than one Gram chunk, and a stratum with no event (it adds nothing); the chunks
    # made small (256 rows, the smallest) so that the direct reference stays quick
    monkeypatch.setattr(RiskSets, "_GRAM_CELLS", 256 * 4)
    rng = np.random.default_rng(5)
    n = 3 * 256 + 17  # Gram chunks of 256 rows at p = 2: three whole ones and a part
    X = rng.normal(size=(n, 2))
    time = rng.integers(1, 40, n).astype(float)
    strata = np.where(np.arange(n) < 50, "quiet", "busy")
    event = (rng.random(n) < 0.5) & (strata == "busy")
    w = np.ones(n)
    beta = np.array([0.2, -0.1])
    fast = RiskSets(X, time, event, w, strata=strata).evaluate(beta)
    busy = strata == "busy"
    slow = direct_efron(X[busy], time[busy], event[busy], w[busy], beta)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("with_entry", [False, True])
def test_threads_give_the_numbers_of_one_thread(with_entry, monkeypatch):
    # issue 18: a Newton step's element-wise work runs in blocks on THREADS threads; blocks of
    # 1,000 rows (7 here, with case weights and entry times) must give one thread's bits
    from churnsurv.regression.cox import risksets

    rng = np.random.default_rng(18)
    n = 6_500
    X = rng.normal(size=(n, 3))
    time = rng.integers(2, 60, n).astype(float)
    entry = np.where(rng.random(n) < 0.3, time - 1.5, -np.inf) if with_entry else None
    event = rng.random(n) < 0.4
    w = rng.uniform(0.5, 2.0, n)
    beta = np.array([0.3, -0.2, 0.1])

    def evaluate(threads, block):
        monkeypatch.setattr(risksets, "THREADS", threads)
        monkeypatch.setattr(risksets, "BLOCK_ROWS", block)
        return RiskSets(X, time, event, w, entry=entry).evaluate(beta)

    one = evaluate(1, 1 << 40)
    for threads, block in [(1, 1_000), (2, 1_000), (2, 1 << 20)]:
        for a, b in zip(evaluate(threads, block), one, strict=True):
            np.testing.assert_array_equal(a, b)
    slow = direct_efron(X, time, event, w, beta, entry=entry)
    for a, b in zip(one, slow, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-8)


def _previous_sort(time, event, rows):
    """The risk sets' sort before issue 18 (H14): ``np.unique`` of the event times, a
    ``searchsorted`` per row, a stable sort by (time index, event), the runs gathered."""
    t, e = time[rows], event[rows]
    times = np.unique(t[e])
    hi = np.searchsorted(times, t, side="right")
    local = np.argsort(2 * hi + e, kind="stable")
    return times, rows[local], np.bincount(2 * hi + e, minlength=2 * times.size + 2)


@pytest.mark.parametrize(
    "times",
    ["whole months", "ties, negative and huge", "non-integer", "-0.0", "wide whole numbers"],
)
@pytest.mark.parametrize("with_strata", [False, True])
@pytest.mark.parametrize("with_entry", [False, True])
def test_sort_by_counting_equals_the_previous_sort(times, with_strata, with_entry, monkeypatch):
    # n above 10,000: the distinct times are found by counting or hashing (few_distinct)
    from churnsurv.regression.cox import risksets

    rng = np.random.default_rng(17)
    n = 12_000
    months = np.floor(rng.uniform(0, 36, n))
    time = {
        "whole months": months,
        "ties, negative and huge": np.where(months < 3, 1e14 + months, months - 20),
        "non-integer": months / 4 + 0.1,
        "-0.0": np.where(months == 0, -0.0, months),
        "wide whole numbers": np.floor(rng.uniform(0, 1e8, n)),
    }[times]
    event = rng.random(n) < 0.3
    X = rng.normal(size=(n, 2))
    strata = rng.integers(0, 3, n) if with_strata else None
    entry = np.minimum(time, np.floor(rng.uniform(-5, 10, n))) - 1 if with_entry else None
    beta = np.array([0.2, -0.3])
    fast = RiskSets(X, time, event, np.ones(n), entry=entry, strata=strata)
    groups = [np.arange(n)] if strata is None else risksets.strata_rows(strata, n)
    expected = [_previous_sort(time, event, rows) for rows in groups]
    np.testing.assert_array_equal(fast.order, np.concatenate([r for _, r, _ in expected]))
    for st, (times_ref, _, _) in zip(fast.strata, expected, strict=True):
        np.testing.assert_array_equal(st.times, times_ref)
        np.testing.assert_array_equal(np.signbit(st.times), np.signbit(times_ref))
    assert np.array_equal(np.diff(fast._indptr), np.concatenate([s for *_, s in expected]))
    # the whole evaluation, bit for bit, against the sort by np.unique and searchsorted
    monkeypatch.setattr(risksets, "few_distinct", lambda t: None)
    slow = RiskSets(X, time, event, np.ones(n), entry=entry, strata=strata)
    np.testing.assert_array_equal(slow.order, fast.order)
    for a, b in zip(fast.evaluate(beta), slow.evaluate(beta), strict=True):
        np.testing.assert_array_equal(a, b)


def test_baseline_hazard_is_deaths_over_the_risk_set_sum():
    X, time, event, w, entry, strata = _data(13)
    beta = np.array([0.1, 0.2, -0.3])
    base = core.baseline_hazard(RiskSets(X, time, event, w, entry=entry, strata=strata), beta)
    risk = w * np.exp(X @ beta)
    assert sorted(base) == ["a", "b", "c"]
    for s, (times, inc) in base.items():
        ins = strata == s
        expected = [
            w[ins & event & (time == t)].sum() / risk[ins & (entry < t) & (t <= time)].sum()
            for t in times
        ]
        np.testing.assert_allclose(inc, expected, rtol=1e-12)


def _customers(n=3000, seed=21):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "plan": pd.Categorical(rng.choice(["basic", "plus", "pro"], n)),
            "channel": rng.choice(["web", "shop", "phone"], n).astype(object),
            "charges": rng.normal(70, 20, n),
            "senior": rng.random(n) < 0.2,
            "seats": rng.integers(1, 4, n),
        }
    )


@pytest.mark.parametrize(
    "formula",
    [
        "plan + channel + charges + senior",
        "C(plan, contr.treatment('pro')) + C(seats) + charges",
        "channel + seats",
    ],
)
def test_fast_linear_predictor_equals_the_design_matrix_product(formula):
    df = _customers()
    design = Design(formula)
    X = design.fit_transform(df, purpose="a test").to_numpy()
    assert design.fast_plan is not None  # numeric and treatment-coded terms only
    rng = np.random.default_rng(2)
    beta, center = rng.normal(size=X.shape[1]), X.mean(axis=0)
    new = _customers(500, seed=3)  # new customers, categories in another order
    new["plan"] = new["plan"].cat.reorder_categories(["pro", "basic", "plus"])
    reference = (design.transform(new, purpose="a test").to_numpy() - center) @ beta
    fast = design.linear_predictor(new, beta, center, purpose="a test")
    np.testing.assert_allclose(fast, reference, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(
    "formula", ["plan * charges", "np.log(charges) + plan", "C(plan, contr.sum)"]
)
def test_other_terms_keep_the_formulaic_path(formula):
    df = _customers()
    design = Design(formula)
    X = design.fit_transform(df, purpose="a test").to_numpy()
    assert design.fast_plan is None
    beta = np.linspace(-1, 1, X.shape[1])
    lp = design.linear_predictor(df, beta, np.zeros(X.shape[1]), purpose="a test")
    np.testing.assert_array_equal(lp, X @ beta)


def test_fast_linear_predictor_refuses_unseen_levels_and_missing_values():
    df = _customers()
    design = Design("plan + channel + charges")
    X = design.fit_transform(df, purpose="a test")
    beta, center = np.ones(X.shape[1]), np.zeros(X.shape[1])
    bad = df.head(3).assign(channel=["web", "fax", "web"])
    with pytest.raises(ValueError, match=r"level\(s\) \['fax'\] were not seen"):
        design.linear_predictor(bad, beta, center, purpose="prediction")
    with pytest.raises(DataValidationError, match="missing values in 1 row"):
        design.linear_predictor(
            df.head(3).assign(charges=[1.0, np.nan, 2.0]), beta, center, purpose="prediction"
        )


@pytest.mark.parametrize("strata", [None, "plan"])
def test_survival_blocks_equal_the_direct_formula(monkeypatch, strata):
    # S(t | tenure) = exp(-(H0(tenure + t) - H0(tenure)) exp(lp)), written block by block in place
    import churnsurv as cs
    from churnsurv.regression.cox import predict

    df = _customers(2000)
    rng = np.random.default_rng(4)
    df["tenure"] = rng.integers(1, 40, len(df)).astype(float)
    df["churned"] = rng.random(len(df)) < 0.5
    data = cs.prepare(df, duration="tenure", event="churned", time_unit="month")
    formula = "channel + charges" if strata else "plan + channel + charges"
    model = cs.CoxModel(formula, strata=strata).fit(data)
    monkeypatch.setattr(predict, "_CHUNK_CELLS", 700)  # many blocks, one not full
    times = np.array([0.0, 1.0, 2.5, 12.0])
    got = model.predict_survival(data, times).to_numpy()
    fit = model.fit_state_
    lp, labels = fit.linear_predictor(data.frame)
    tenure = data.frame["duration"].to_numpy()
    want = np.empty_like(got)
    for i in range(len(lp)):
        label = None if labels is None else labels[i]
        inc = fit.cumulative_hazard(label, tenure[i] + times) - fit.cumulative_hazard(
            label, np.array([tenure[i]])
        )
        want[i] = np.exp(-inc * np.exp(lp[i]))
    want[data.frame["event"].to_numpy(bool)] = np.nan
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)


def test_unit_weights_are_shared_not_gathered():
    """Unit weights are the same ones in the sorted order (one 80 MB array less at 10M rows);
    other weights are gathered into the sorted order; both evaluate as the gathered ones do."""
    rng = np.random.default_rng(24)
    n = 300
    X = rng.normal(size=(n, 2))
    time = rng.integers(1, 20, n).astype(float)
    event = rng.random(n) < 0.6
    beta = np.array([0.3, -0.2])
    ones = np.ones(n)
    risk = RiskSets(X, time, event, ones)
    assert risk.w is ones
    w = rng.uniform(0.5, 2.0, n)
    weighted = RiskSets(X, time, event, w)
    np.testing.assert_array_equal(weighted.w, w[weighted.order])
    gathered = RiskSets(X, time, event, ones + 0.0)
    gathered.w = ones[gathered.order].copy()  # the previous code's array
    for a, b in zip(risk.evaluate(beta), gathered.evaluate(beta), strict=True):
        np.testing.assert_array_equal(a, b)
