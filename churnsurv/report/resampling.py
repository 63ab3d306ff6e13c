"""Bootstrap totals of many values, drawn cache-sized piece by piece (private).

A bootstrap total of ``m`` values is the sum of ``m`` draws with replacement. Drawn directly,
each draw reads a random one of the ``m`` values: for the 884,000 active customers of a
1,000,000-customer report that would be a cache miss per draw (7 MB of values), about 2.7
billion of them for 1,000 resamples of three groupings. (The report now draws resamples only
for segments under 10,000 customers and takes larger ones from :func:`saddlepoint_quantiles`.)

:func:`bootstrap_totals` draws the same distribution in an order that stays in cache: the
values are cut into consecutive pieces of at most :data:`PIECE` (256 KB of float64); a uniform
draw from all values is a piece drawn with probability (its size / ``m``) and then a uniform
draw within that piece. So the numbers of draws falling in the pieces are multinomial
(``m``; sizes / ``m``), drawn once per resample, and given those numbers the draws within a
piece are independent uniform draws from that piece alone, made a piece at a time. This is
exact (no Poisson approximation of the counts); only the random stream differs from the
direct draws, which are still used when all values fit in one piece.

For many values, :func:`saddlepoint_quantiles` gives the quantiles of the same bootstrap
distribution without drawing: the total of ``m`` draws has the cumulant generating function
``K(s) = m log(mean(exp(s x)))`` exactly, and the Lugannani-Rice formula turns it into tail
probabilities (Davison & Hinkley 1988, Biometrika 75, 417-431; Davison & Hinkley 1997,
*Bootstrap Methods and their Application*, sec. 9.5). Each evaluation is one pass over the
values; a quantile takes about four.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["PIECE", "bootstrap_totals", "saddlepoint_quantiles"]

#: Values per piece: 32,768 float64 values (256 KB) stay in a core's L2 cache. A power of two
#: at most 2**16 (see :func:`_positions`).
PIECE = 1 << 15
#: Draws made at once from one piece (at most).
_BATCH = 1 << 18


def _positions(gen: np.random.Generator, size: int, n: int) -> np.ndarray:
    """``n`` uniform draws from ``0 .. size - 1`` (64-bit, as ``take`` wants them).

    A full piece has a power-of-two size: its positions are the low bits of 16-bit words of
    the generator's raw output (exactly uniform, four draws per 64-bit word, without the
    bounded-integer arithmetic of ``Generator.integers``, which the other pieces use).
    """
    if size == PIECE:
        words = gen.bit_generator.random_raw((n + 3) // 4).view(np.uint16)[:n]
        positions = words.astype(np.intp)
        positions &= size - 1
        return positions
    return gen.integers(0, size, n)


def bootstrap_totals(
    x: np.ndarray, n_boot: int, gen: np.random.Generator, cells: int
) -> np.ndarray:
    """``n_boot`` bootstrap totals of ``x`` (each the sum of ``x.size`` draws with replacement).

    ``cells`` bounds the draws held in memory at once (index and value arrays of that length).

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> bootstrap_totals(x, 4, np.random.default_rng(0), cells=1 << 22)
    array([7., 3., 3., 8.])
    """
    m = x.size
    if m <= PIECE:  # one piece: draw directly, a block of resamples at a time
        block = max(1, cells // m)
        return np.concatenate(
            [
                x[gen.integers(0, m, (min(block, n_boot - done), m))].sum(axis=1)
                for done in range(0, n_boot, block)
            ]
        )
    starts = np.arange(0, m, PIECE)
    sizes = np.diff(np.append(starts, m))
    counts = gen.multinomial(m, sizes / m, size=n_boot)  # draws per (resample, piece)
    totals = np.zeros(n_boot)
    # resamples per batch: about min(cells, 2**18) draws from a piece, 2 MB arrays that the
    # allocator reuses (fresh 32 MB arrays cost a page fault per 4 KB)
    rows = max(1, min(cells, _BATCH) // PIECE)
    for p, (start, size) in enumerate(zip(starts, sizes, strict=True)):
        piece = x[start : start + size]
        for r0 in range(0, n_boot, rows):
            c = counts[r0 : r0 + rows, p]
            drawn = np.flatnonzero(c)  # resamples with draws in this piece
            if drawn.size == 0:
                continue
            values = piece.take(_positions(gen, size, int(c.sum())), mode="clip")
            first = (np.cumsum(c) - c)[drawn]  # each resample's first draw: increasing
            totals[r0 + drawn] += np.add.reduceat(values, first)
    return totals


def _cgf(
    z: np.ndarray, z2: np.ndarray, s: float, ends: tuple[float, float], w: np.ndarray
) -> tuple[float, float, float]:
    """Log mean of ``exp(s z)`` and its first two derivatives in ``s`` (one pass, no overflow).

    The derivatives are the mean and variance of ``z`` tilted by ``exp(s z)``; ``z2 = z * z``;
    ``ends`` is ``(z.min(), z.max())``. The largest ``s z`` is ``s`` times one of them (rounding
    is monotone, so it is the same number as the maximum of ``s z``, without a pass for it).
    ``w`` is scratch space of ``z``'s size (reused: a fresh array per call costs page faults).
    """
    np.multiply(z, s, out=w)
    top = float(np.multiply(ends[1] if s >= 0 else ends[0], s))
    np.exp(np.subtract(w, top, out=w), out=w)
    total = float(w.sum())
    mean = float(w @ z) / total
    var = max(float(w @ z2) / total - mean * mean, 0.0)
    return top + np.log(total / z.size), mean, var


def _lugannani_rice(
    z: np.ndarray, z2: np.ndarray, s: float, ends: tuple[float, float], work: np.ndarray
) -> tuple[float, float, float]:
    """``(P(Z <= y), y, dP/ds)`` at saddlepoint ``s`` for ``Z`` the total of ``z.size`` draws
    of ``z``.

    ``y = K'(s)``; ``P = Phi(w) + phi(w) (1 / w - 1 / u)`` with
    ``w = sign(s) sqrt(2 (s y - K(s)))`` and ``u = s sqrt(K''(s))`` (``s`` not 0); ``dP/ds``
    is the saddlepoint density times ``dy/ds = K''(s)``, ``phi(w) sqrt(K''(s))``; ``ends`` and
    ``work`` (its ``w``) as in :func:`_cgf`.
    """
    m = z.size
    k, k1, k2 = _cgf(z, z2, s, ends, work)
    y = m * k1
    w = np.sign(s) * np.sqrt(max(2.0 * (s * y - m * k), 0.0))
    u = s * np.sqrt(m * k2)
    if w == 0.0 or u == 0.0:  # at the support's end: all mass below (or above) y
        return (1.0 if s > 0 else 0.0), y, 0.0
    density = np.exp(-0.5 * w * w) / np.sqrt(2 * np.pi)
    p = special.ndtr(w) + density * (1.0 / w - 1.0 / u)
    return float(p), y, float(density * np.sqrt(m * k2))


def _quantile(
    z: np.ndarray, z2: np.ndarray, q: float, ends: tuple[float, float], work: np.ndarray
) -> float:
    """The ``q`` quantile of the total of ``z.size`` draws of standardised ``z``.

    Newton's method on the saddlepoint ``s`` (from the normal approximation's), kept inside a
    bracket of ``F(s) - q`` and bisecting when a step leaves it; about four evaluations.
    """
    side = 1.0 if q > 0.5 else -1.0
    s = float(special.ndtri(q)) / np.sqrt(z.size)  # the normal approximation's saddlepoint
    near, far = 0.0, np.inf * side  # F(near) - q and F(far) - q have opposite signs
    for _ in range(100):
        p, y, slope = _lugannani_rice(z, z2, s, ends, work)
        if abs(p - q) < 1e-10:  # 1e-10 in probability: below 1e-8 sd of the total in y
            return y
        if (p - q) * side < 0:
            near = s  # not far enough out
        else:
            far = s
        if np.isinf(far) and abs(s) * max(abs(ends[0]), abs(ends[1])) > 700:  # max |z|
            return float(z.size * (ends[1] if side > 0 else ends[0]))  # q at the support's end
        step = s - (p - q) / slope if slope > 0 else np.nan
        lo, hi = sorted((near, far))
        if lo < step < hi:
            if abs(step - s) <= 1e-10 * abs(s):
                return y  # converged at this s: its y, without evaluating it again
            s = step
        else:
            s = 2.0 * s if np.isinf(far) else 0.5 * (near + far)
        if abs(far - near) <= 1e-12 * abs(s):
            break
    return _lugannani_rice(z, z2, s, ends, work)[1]


def saddlepoint_quantiles(x: np.ndarray, probs) -> np.ndarray:
    """Quantiles of the bootstrap total of ``x`` (the sum of ``x.size`` draws with replacement),
    by the saddlepoint approximation of its distribution (Lugannani-Rice).

    The values are standardised first (the total is ``m mean(x) + sd(x) Z``); ``probs`` must
    lie strictly between 0 and 1, away from 1/2 (the formula's removable singularity).

    Examples
    --------
    Values 0 and 1: the total is Binomial(20,000, 0.3), whose 2.5% and 97.5% quantiles are
    5,873 and 6,127 (``scipy.stats.binom.ppf``):

    >>> x = np.repeat([0.0, 1.0], [14_000, 6_000])
    >>> np.round(saddlepoint_quantiles(x, [0.025, 0.975]), 1)
    array([5873.2, 6127.2])
    """
    x = np.asarray(x, dtype=float)
    mu, sd = float(x.mean()), float(x.std())
    if sd == 0.0:
        return np.full(len(probs), x.size * mu)
    z = (x - mu) / sd
    z2 = z * z
    ends = (float(z.min()), float(z.max()))

    def total(q: float) -> float:  # each quantile with scratch space of its own
        return x.size * mu + sd * _quantile(z, z2, float(q), ends, np.empty_like(z))

    if z.size < _THREADED or len(probs) < 2:
        totals = [total(q) for q in probs]
    else:  # the quantiles at once, on two threads (numpy lets go of the GIL in each pass)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            totals = list(pool.map(total, probs))
    return np.clip(totals, x.size * x.min(), x.size * x.max())


#: Values from which :func:`saddlepoint_quantiles` finds its quantiles on two threads.
_THREADED = 200_000
