"""The Kaplan-Meier bootstrap of ``clv(ci=True)`` on integer codes equals the generic refit.

The reference is the generic path kept in the package (``_refit_values``: ``data.take`` of
every column, a ``KaplanMeier`` refit, the segment values of the refit): same draws, so the
same resamples, and the values must agree to rounding (1e-12 relative; the segment mean margin
is summed in another order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.clv import _bootstrap
from churnsurv.clv._bootstrap import _KMResampler, _refit_values
from churnsurv.clv._valuation import _grid, _Valuation
from churnsurv.clv.discount import discount_factors

RTOL = 1e-12


#: The Telco data as the tests prepare it (``segmented`` adds the report's two segments).
TELCO = dict(
    id="customerID", duration="tenure", event="Churn", event_value="Yes", margin="MonthlyCharges"
)


@pytest.fixture(scope="module")
def telco():
    return cs.prepare(cs.datasets.load_telco(), **TELCO)


@pytest.fixture(scope="module")
def small():
    """400 customers with non-integer tenure, a rare plan (3 customers, absent from many
    resamples), a categorical region with an unused category, and a code column holding both
    1 and "1" (labels then fall back to repr, as in ``group_codes``)."""
    rng = np.random.default_rng(11)
    n = 400
    plan = rng.choice(["basic", "plus"], n)
    plan[:3] = "rare"
    code = np.array([1, "1", 2], dtype=object)[rng.choice(3, n, p=[0.49, 0.02, 0.49])]
    raw = pd.DataFrame(
        {
            "tenure": np.round(rng.exponential(20.0, n), 1) + 0.5,
            "churned": rng.random(n) < 0.6,
            "plan": plan,
            "region": pd.Categorical(rng.choice(["n", "s"], n), categories=["n", "s", "w"]),
            "code": code,
            "margin": rng.uniform(5, 50, n),
        }
    )
    return cs.prepare(raw, duration="tenure", event="churned", margin="margin")


def _valuation(data, horizon, *, margin=None, tail=None, timing="start", residual=False):
    grid = _grid(horizon, timing)
    disc = discount_factors(grid, annual_discount_rate=0.1, time_unit=data.time_unit)
    return _Valuation(grid, disc, margin, tail, residual, False)


def _assert_same_resamples(km, data, how, draws):
    fast = _KMResampler.create(km, data, how)
    assert fast is not None
    for idx in draws:
        got, ref = fast(idx), _refit_values(km, data, how, True, idx)
        assert sorted(got.index) == sorted(ref.index)
        np.testing.assert_allclose(got[ref.index].to_numpy(), ref.to_numpy(), rtol=RTOL)


def _sbg():
    # the survivors of Fader & Hardie's (2007) "regular" cohort, years 0-7, as monthly periods
    survivors = [1000, 869, 743, 653, 593, 551, 517, 491]
    return cs.ShiftedBetaGeometric().fit(survivors, time_unit="month")


TAILS = {
    "none": lambda data: None,
    "sbg": lambda data: _sbg(),
    "weibull": lambda data: cs.WeibullAFT().fit(data),
    "weibull-by-contract": lambda data: cs.WeibullAFT("Contract").fit(data),
    "series": lambda data: pd.Series(0.97 ** np.arange(150.0)),
}


@pytest.mark.parametrize(
    ("by", "tail", "margin", "residual", "timing"),
    [
        (None, "none", None, False, "start"),
        ("Contract", "none", None, False, "end"),
        (["Contract", "InternetService"], "none", None, False, "start"),
        (["Contract", "InternetService"], "sbg", None, False, "start"),
        (["Contract", "InternetService"], "weibull", None, True, "start"),
        ("Contract", "weibull-by-contract", 20.0, False, "start"),
        ("InternetService", "series", "schedule", False, "end"),
        (None, "sbg", "schedule", True, "start"),
    ],
)
def test_fast_path_gives_the_refit_values_on_telco(telco, by, tail, margin, residual, timing):
    km = cs.KaplanMeier().fit(telco, by=by)
    horizon = 36 if tail == "none" else 90  # past the 72-month follow-up: the tail is used
    if isinstance(margin, str):
        margin = np.linspace(10.0, 30.0, horizon)  # a per-period schedule
    how = _valuation(
        telco, horizon, margin=margin, tail=TAILS[tail](telco), timing=timing, residual=residual
    )
    rng = np.random.default_rng(5)
    _assert_same_resamples(km, telco, how, [rng.integers(0, telco.n, telco.n) for _ in range(3)])


@pytest.mark.parametrize("by", ["plan", ["plan", "region"], "code", ["code", "plan"]])
def test_fast_path_gives_the_refit_values_with_segments_missing(small, by):
    km = cs.KaplanMeier().fit(small, by=by)
    # beyond every curve: a marginal tail (tenure is not whole periods, as sBG needs)
    how = _valuation(small, 400, tail=pd.Series(0.99 ** np.arange(500.0)))
    rng = np.random.default_rng(3)
    draws = [rng.integers(0, small.n, small.n) for _ in range(4)]
    draws.append(rng.integers(3, small.n, small.n))  # no "rare" customer at all
    drops_one = np.flatnonzero(small.frame["code"].map(type).eq(str).to_numpy())
    keep = np.setdiff1d(np.arange(small.n), drops_one)
    draws.append(rng.choice(keep, small.n))  # no "1" text code: labels are plain text again
    _assert_same_resamples(km, small, how, draws)
    weibull = _valuation(small, 400, tail=cs.WeibullAFT().fit(small), margin=7.5)
    _assert_same_resamples(km, small, weibull, draws[-2:])


def test_interval_is_the_generic_interval(telco, monkeypatch):
    """End to end through ``cs.clv``: 40 resamples, fast path against the generic refit."""
    km = cs.KaplanMeier().fit(telco, by=["Contract", "InternetService"])
    kw = {"annual_discount_rate": 0.1, "horizon": 80, "tail": _sbg(), "ci": True, "n_boot": 40}
    fast = cs.clv(km, telco, rng=8, **kw).summary
    monkeypatch.setattr(_bootstrap._KMResampler, "create", classmethod(lambda cls, *a: None))
    generic = cs.clv(km, telco, rng=8, **kw).summary
    pd.testing.assert_frame_equal(fast, generic, check_exact=False, rtol=RTOL)
    assert (fast["clv_lower"] < fast["clv"]).all() and (fast["clv"] < fast["clv_upper"]).all()


def test_a_resample_past_a_curve_without_tail_raises_as_the_refit_does(small):
    km = cs.KaplanMeier().fit(small, by="plan")
    how = _valuation(small, 60)
    idx = np.arange(small.n)  # every customer once: "rare" ends long before 60
    fast = _KMResampler.create(km, small, how)
    assert fast is not None
    with pytest.raises(ValueError, match="segment 'rare': the Kaplan-Meier curve ends") as a:
        fast(idx)
    with pytest.raises(ValueError, match="segment 'rare': the Kaplan-Meier curve ends") as b:
        _refit_values(km, small, how, True, idx)
    assert str(a.value) == str(b.value)


def test_fits_the_fast_path_cannot_reproduce_use_the_refit(telco):
    how = _valuation(telco, 24)
    weighted = cs.KaplanMeier().fit(telco, by="Contract", weights=np.full(telco.n, 2.0))
    assert _KMResampler.create(weighted, telco, how) is None
    cox = cs.CoxModel("Contract").fit(telco)
    assert _KMResampler.create(cox, telco, how) is None
    raw = telco.frame.reset_index().query("duration > 0").assign(start=0.5)
    late = cs.prepare(
        raw, duration="duration", event="event", entry="start", margin="MonthlyCharges"
    )
    assert _KMResampler.create(cs.KaplanMeier().fit(late), late, how) is None
    plain = cs.KaplanMeier().fit(telco, by="Contract")
    assert _KMResampler.create(plain, telco, how) is not None


@pytest.fixture(scope="module")
def segmented():
    return cs.prepare(cs.datasets.load_telco(), segments=["Contract", "InternetService"], **TELCO)


def _counted(monkeypatch):
    """How many resamples :meth:`_KMResampler.tally` counted (a list, appended per call;
    :meth:`_KMResampler.count` tallies through it)."""
    calls = []
    original = _KMResampler.tally

    def tally(self, drawn, buffer=None):
        calls.append(int(drawn.sum()))
        return original(self, drawn, buffer)

    monkeypatch.setattr(_KMResampler, "tally", tally)
    return calls


def test_seeded_calls_share_the_resamples_and_give_the_generic_interval(segmented, monkeypatch):
    """The report's loop (all customers, then each segment column, same integer seed): the
    resamples are counted once, on the segment combinations, and every interval is the one of
    the generic refit (same draws: the seed's)."""
    kw = {"annual_discount_rate": 0.1, "horizon": 80, "tail": _sbg(), "ci": True, "n_boot": 20}
    fits = [cs.KaplanMeier().fit(segmented, by=by) for by in (None, "Contract", "InternetService")]
    fits.append(cs.KaplanMeier().fit(segmented, by=["InternetService", "Contract"]))
    calls = _counted(monkeypatch)
    shared = [cs.clv(km, segmented, rng=8, **kw).summary for km in fits]
    assert len(calls) == 20  # the first call counted its 20 resamples; the others none
    monkeypatch.setattr(_bootstrap._KMResampler, "create", classmethod(lambda cls, *a: None))
    for km, got in zip(fits, shared, strict=True):
        generic = cs.clv(km, segmented, rng=8, **kw).summary
        pd.testing.assert_frame_equal(got, generic, check_exact=False, rtol=RTOL)


@pytest.mark.parametrize(
    "case", ["generator", "weibull tail", "margin schedule", "another data", "another seed"]
)
def test_what_is_not_shared_is_counted_again(segmented, monkeypatch, case):
    kw = {"annual_discount_rate": 0.1, "horizon": 80, "tail": _sbg(), "ci": True, "n_boot": 3}
    data, rng = segmented, 4
    km = cs.KaplanMeier().fit(segmented, by="Contract")
    cs.clv(cs.KaplanMeier().fit(segmented), segmented, rng=4, **kw)
    if case == "generator":
        rng = np.random.default_rng(4)
    elif case == "weibull tail":
        kw["tail"] = cs.WeibullAFT().fit(segmented)
    elif case == "margin schedule":
        kw["margin"] = np.linspace(10.0, 30.0, 80)
    elif case == "another data":
        data = segmented.take(np.arange(segmented.n))
        km = cs.KaplanMeier().fit(data, by="Contract")
    else:
        rng = 5
    calls = _counted(monkeypatch)
    got = cs.clv(km, data, rng=rng, **kw).summary
    assert len(calls) == 3
    if case in ("margin schedule", "another data", "another seed"):  # still the generic interval
        monkeypatch.setattr(_bootstrap._KMResampler, "create", classmethod(lambda cls, *a: None))
        generic = cs.clv(km, data, rng=rng, **kw).summary
        pd.testing.assert_frame_equal(got, generic, check_exact=False, rtol=RTOL)


def test_a_segment_column_changed_in_place_is_counted_again(segmented, monkeypatch):
    """The shared counts are keyed by a digest of the rows' combinations, durations, events
    and margins: relabelling customers in place (same sums of everything) must not reuse the
    counts of the first labelling; the interval is the generic refit's on the new labels."""
    data = segmented.take(np.arange(segmented.n))  # a copy of its own: changed below
    kw = {"annual_discount_rate": 0.1, "horizon": 80, "tail": _sbg(), "ci": True, "n_boot": 4}
    cs.clv(cs.KaplanMeier().fit(data, by="Contract"), data, rng=3, **kw)
    labels = data.frame["Contract"].to_numpy().copy()
    data.frame["Contract"] = labels[::-1]  # same labels and counts, other customers
    km = cs.KaplanMeier().fit(data, by="Contract")
    calls = _counted(monkeypatch)
    got = cs.clv(km, data, rng=3, **kw).summary
    assert len(calls) == 4  # counted again, not read from the first labelling
    monkeypatch.setattr(_bootstrap._KMResampler, "create", classmethod(lambda cls, *a: None))
    generic = cs.clv(km, data, rng=3, **kw).summary
    pd.testing.assert_frame_equal(got, generic, check_exact=False, rtol=RTOL)


def test_percentile_interval_is_numpys_nanquantile():
    rng = np.random.default_rng(2)
    boot = rng.lognormal(7.0, 1.0, size=(41, 300))
    boot[:, 0] = 3.5  # a constant column
    boot[5, 7] = boot[9, 8] = boot[0, 8] = np.nan  # columns with NaNs
    boot[:, 9] = np.nan  # nothing but NaNs
    lower, upper = _bootstrap.percentile_interval(boot, 0.9)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="All-NaN"):
        expected = [np.nanquantile(boot, q, axis=0) for q in ((1 - 0.9) / 2, (1 + 0.9) / 2)]
    np.testing.assert_array_equal(lower, expected[0])
    np.testing.assert_array_equal(upper, expected[1])
    assert np.isnan(lower[9]) and not np.isnan(lower[8])


def test_a_constant_margin_shares_counts_without_margin_totals(segmented, monkeypatch):
    kw = {"annual_discount_rate": 0.1, "horizon": 80, "tail": _sbg(), "ci": True, "n_boot": 6}
    calls = _counted(monkeypatch)
    first = cs.clv(cs.KaplanMeier().fit(segmented), segmented, margin=20.0, rng=9, **kw)
    km = cs.KaplanMeier().fit(segmented, by="Contract")
    got = cs.clv(km, segmented, margin=20.0, rng=9, **kw).summary
    assert len(calls) == 6 and len(first.summary) == 1
    monkeypatch.setattr(_bootstrap._KMResampler, "create", classmethod(lambda cls, *a: None))
    generic = cs.clv(km, segmented, margin=20.0, rng=9, **kw).summary
    pd.testing.assert_frame_equal(got, generic, check_exact=False, rtol=RTOL)


@pytest.mark.parametrize("cols", [[], ["plan"], ["plan", "region"], ["code", "plan", "region"]])
def test_combination_codes_tell_apart_what_groupby_does(small, cols):
    got = _bootstrap._combination_codes(small.frame, cols)
    if not cols:
        assert (got == 0).all()
        return
    ref = small.frame.groupby(cols, observed=True).ngroup().to_numpy()
    pairs = pd.DataFrame({"got": got, "ref": ref}).drop_duplicates()
    assert len(pairs) == pairs["got"].nunique() == pairs["ref"].nunique()  # one to one
    assert sorted(set(got)) == list(range(len(pairs)))


def test_combination_codes_refuse_missing_values(small):
    frame = small.frame.assign(plan=small.frame["plan"].where(small.frame.index != 5))
    assert _bootstrap._combination_codes(frame, ["region", "plan"]) is None


@pytest.mark.parametrize("n_boot", [1, 2, 7])
def test_draws_counted_ahead_in_a_thread_are_the_plain_loops(n_boot):
    """The worker thread reads the generator in the same order as a plain loop: the same
    draws, so the same number of times each customer is drawn, resample by resample."""
    n = 1000
    ahead = list(_bootstrap._drawn(np.random.default_rng(4), n, n_boot, ahead=True))
    plain = list(_bootstrap._drawn(np.random.default_rng(4), n, n_boot, ahead=False))
    rng = np.random.default_rng(4)
    loop = [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)]
    assert len(ahead) == len(plain) == n_boot
    for a, p, ref in zip(ahead, plain, loop, strict=True):
        np.testing.assert_array_equal(a, ref)
        np.testing.assert_array_equal(p, ref)


def _bits(a):
    return np.ascontiguousarray(a, dtype=float).view(np.uint64)


@pytest.mark.parametrize("ahead_from", [0, 10**9], ids=["threads", "plain loop"])
def test_shared_counts_are_the_bits_of_the_previous_per_resample_count(
    segmented, monkeypatch, ahead_from
):
    """``_joint_counts`` (draws counted ahead in worker threads or not, one reused buffer,
    ``tally``) against the previous code written out: ``bincount`` of each resample's
    positions as floats, weighted ``bincount`` of the cells, the same weights times the
    margin for the totals. Equal bit for bit (``uint64`` views), counts and margin totals."""
    monkeypatch.setattr(_bootstrap, "_AHEAD_FROM", ahead_from)
    km = cs.KaplanMeier().fit(segmented, by="Contract")
    how = _valuation(segmented, 80)
    resampler = _KMResampler.create(km, segmented, how)
    codes = _bootstrap._combination_codes(segmented.frame, ["Contract", "InternetService"])
    first, joint = _bootstrap._joint_counts(resampler, segmented, codes, 6, 5)
    names = [str(j) for j in range(int(codes.max()) + 1)]
    ref = _KMResampler(segmented, how, codes, (names, names), (resampler.factor, 1.0))
    rng = np.random.default_rng(6)
    for counts, totals in joint:
        drawn = np.bincount(rng.integers(0, segmented.n, segmented.n), minlength=segmented.n)
        drawn = drawn.astype(float)
        want = np.bincount(ref.cells, weights=drawn, minlength=ref.n_cells)
        drawn *= ref.factor
        want_totals = np.bincount(ref.codes, weights=drawn, minlength=ref.n_groups)
        np.testing.assert_array_equal(_bits(counts.ravel()), _bits(want))
        np.testing.assert_array_equal(_bits(totals), _bits(want_totals))
    assert (codes[first] == np.arange(len(names))).all()


@pytest.fixture
def take_path(monkeypatch):
    """Segment values computed the previous way: a ``data.take`` of each segment's rows."""
    from churnsurv.clv import _valuation

    def run(*args, **kw):
        with monkeypatch.context() as m:
            m.setattr(_valuation, "_parametric_tail", lambda tail: True)
            return cs.clv(*args, **kw)

    return run


@pytest.mark.parametrize("margin", [None, 12.0, "schedule"])
def test_segment_margins_read_at_the_rows_are_the_bits_of_a_take(telco, take_path, margin):
    km = cs.KaplanMeier().fit(telco, by=["Contract", "InternetService"])
    kw = {"annual_discount_rate": 0.1, "horizon": 90, "tail": _sbg()}
    if margin == "schedule":
        margin = np.linspace(10.0, 30.0, 90)
    rows = cs.clv(km, telco, margin=margin, **kw).summary
    taken = take_path(km, telco, margin=margin, **kw).summary
    pd.testing.assert_frame_equal(rows, taken, check_exact=True)


def test_a_bad_segment_margin_is_reported_as_a_take_reports_it(segmented, take_path):
    data = segmented.take(np.arange(segmented.n))  # a copy of its own: changed below
    bad = data.frame["MonthlyCharges"].to_numpy().copy()
    bad[[3, 10]] = -1.0
    data.frame["MonthlyCharges"] = bad
    km = cs.KaplanMeier().fit(data, by="Contract")
    kw = {"annual_discount_rate": 0.1, "horizon": 24}
    with pytest.raises(cs.DataValidationError, match="negative margin") as rows:
        cs.clv(km, data, **kw)
    with pytest.raises(cs.DataValidationError, match="negative margin") as taken:
        take_path(km, data, **kw)
    assert str(rows.value) == str(taken.value)
    # the first segment holding a bad margin is named, with its own row's id
    assert any(data.frame.index[i] in str(rows.value) for i in (3, 10))


@pytest.mark.parametrize(
    "values",
    [
        pd.Categorical(["b", "a", "b", "c", "a"], categories=["a", "b", "c", "d"]),  # d unused
        pd.Categorical(["z", "z", "y"], categories=["y", "z"], ordered=True),
        pd.Categorical([], categories=["a"]),
        pd.Categorical(["a", None, "b"]),  # a missing value: -1
        np.array(["b", "a", "b"], dtype=object),  # not categorical: pd.factorize itself
    ],
)
def test_factorized_categories_are_pandas_factorize(values):
    column = pd.Series(values)
    codes, n_uniques = _bootstrap._factorized(column)
    ref, uniques = pd.factorize(column, use_na_sentinel=True)
    np.testing.assert_array_equal(codes, ref)
    if not (ref < 0).any():
        assert n_uniques == len(uniques)


def test_draws_abandoned_half_way_stop_their_threads():
    """A caller that stops reading (an error in a resample's valuation) closes the
    generator: the worker threads finish what they started and end; none is left behind."""
    import threading

    before = {t for t in threading.enumerate() if t.name.startswith("churnsurv-")}
    draws = _bootstrap._drawn(np.random.default_rng(1), 500, 6, ahead=True)
    first = next(draws)
    assert {t.name.split("_")[0] for t in threading.enumerate()} >= {"churnsurv-draw"}
    draws.close()
    after = {t for t in threading.enumerate() if t.name.startswith("churnsurv-")}
    assert after == before
    assert first.sum() == 500
