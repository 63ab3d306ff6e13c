"""The saddlepoint quantiles and segment totals with fewer passes over the values (issue 18,
helper H15) give the same numbers, bit for bit, as the previous code, copied here as the
reference: the largest ``s z`` from ``z``'s ends instead of a max pass, no second evaluation
at the converged ``s``, one scratch array, and 16-bit keys for the stable grouping sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from churnsurv.report import findings as kf
from churnsurv.report.resampling import saddlepoint_quantiles


def _cgf(z, z2, s):  # the previous resampling._cgf
    w = np.multiply(z, s)
    top = float(w.max())
    np.exp(np.subtract(w, top, out=w), out=w)
    total = float(w.sum())
    mean = float(w @ z) / total
    var = max(float(w @ z2) / total - mean * mean, 0.0)
    return top + np.log(total / z.size), mean, var


def _lugannani_rice(z, z2, s):  # the previous resampling._lugannani_rice
    m = z.size
    k, k1, k2 = _cgf(z, z2, s)
    y = m * k1
    w = np.sign(s) * np.sqrt(max(2.0 * (s * y - m * k), 0.0))
    u = s * np.sqrt(m * k2)
    if w == 0.0 or u == 0.0:
        return (1.0 if s > 0 else 0.0), y, 0.0
    density = np.exp(-0.5 * w * w) / np.sqrt(2 * np.pi)
    p = special.ndtr(w) + density * (1.0 / w - 1.0 / u)
    return float(p), y, float(density * np.sqrt(m * k2))


def _quantile(z, z2, q):  # the previous resampling._quantile
    side = 1.0 if q > 0.5 else -1.0
    s = float(special.ndtri(q)) / np.sqrt(z.size)
    near, far = 0.0, np.inf * side
    for _ in range(100):
        p, y, slope = _lugannani_rice(z, z2, s)
        if abs(p - q) < 1e-10:
            return y
        if (p - q) * side < 0:
            near = s
        else:
            far = s
        if np.isinf(far) and abs(s) * float(np.abs(z).max()) > 700:
            return float(z.size * (z.max() if side > 0 else z.min()))
        step = s - (p - q) / slope if slope > 0 else np.nan
        lo, hi = sorted((near, far))
        if lo < step < hi:
            if abs(step - s) <= 1e-10 * abs(s):
                break
            s = step
        else:
            s = 2.0 * s if np.isinf(far) else 0.5 * (near + far)
        if abs(far - near) <= 1e-12 * abs(s):
            break
    return _lugannani_rice(z, z2, s)[1]


def _previous(x, probs):  # the previous saddlepoint_quantiles
    x = np.asarray(x, dtype=float)
    mu, sd = float(x.mean()), float(x.std())
    if sd == 0.0:
        return np.full(len(probs), x.size * mu)
    z = (x - mu) / sd
    z2 = z * z
    totals = [x.size * mu + sd * _quantile(z, z2, float(q)) for q in probs]
    return np.clip(totals, x.size * x.min(), x.size * x.max())


GEN = np.random.default_rng(15)
VALUES = {
    "lognormal": GEN.lognormal(3, 1.5, 20_000),
    "negatively skewed": -GEN.lognormal(0, 1, 15_000),
    "zeros and ones": np.repeat([0.0, 1.0], [14_000, 6_000]),
    "value at risk-like": GEN.uniform(0, 1, 30_000) * GEN.lognormal(6, 1, 30_000),
}


@pytest.mark.parametrize("name", list(VALUES))
@pytest.mark.parametrize("probs", [[0.025, 0.975], [0.005, 0.995], [0.001, 0.3, 0.9]])
def test_saddlepoint_quantiles_are_the_previous_numbers_exactly(name, probs):
    x = VALUES[name]
    assert np.array_equal(saddlepoint_quantiles(x, probs), _previous(x, probs))


def test_segment_totals_group_as_before():
    # the grouping sort on 16-bit keys is the stable sort of the 64-bit codes: the same
    # values in the same order per segment, so the same totals; the quantiles to 1e-12 (the
    # dot products' last bits depend on where numpy's allocator puts the segment's values)
    x = VALUES["value at risk-like"]
    seg = pd.Series(GEN.choice(["b", "a", "c"], x.size, p=[0.5, 0.4, 0.1]))
    got = kf.segment_totals(pd.Series(x), seg, n_boot=200, rng=0)
    codes, names = kf._text_codes(seg)
    by_code = x[np.argsort(codes.astype(np.int64), kind="stable")]  # the previous grouping
    ends = np.cumsum(np.bincount(codes))
    for k, label in enumerate(names):
        mine = by_code[(ends[k - 1] if k else 0) : ends[k]]
        row = got.loc[label]
        assert row["total"] == float(mine.sum())
        if row["customers"] >= kf.SADDLEPOINT_MIN:
            previous = _previous(mine, [0.025, 0.975])
            np.testing.assert_allclose([row["ci_lower"], row["ci_upper"]], previous, rtol=1e-12)


def test_quantiles_on_two_threads_equal_one_by_one(monkeypatch):
    """Above ``_THREADED`` values the quantiles are found on two threads, each with scratch
    space of its own: the same numbers, bit for bit, as one after the other."""
    from churnsurv.report import resampling

    x = np.random.default_rng(3).lognormal(3.0, 1.2, 300_000)
    probs = [0.025, 0.975, 0.1]
    threaded = resampling.saddlepoint_quantiles(x, probs)
    monkeypatch.setattr(resampling, "_THREADED", 10**9)
    one_by_one = resampling.saddlepoint_quantiles(x, probs)
    assert threaded.tobytes() == one_by_one.tobytes()
