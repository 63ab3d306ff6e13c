"""Bootstrap totals of many values, drawn cache-sized piece by piece (private).

A bootstrap total of ``m`` values is the sum of ``m`` draws with replacement. Drawn directly,
each draw reads a random one of the ``m`` values: for the 884,000 active customers of a
1,000,000-customer report that is a cache miss per draw (7 MB of values), about 2.7 billion
of them for the report's 1,000 resamples of three groupings.

:func:`bootstrap_totals` draws the same distribution in an order that stays in cache: the
values are cut into consecutive pieces of at most :data:`PIECE` (256 KB of float64); a uniform
draw from all values is a piece drawn with probability (its size / ``m``) and then a uniform
draw within that piece. So the numbers of draws falling in the pieces are multinomial
(``m``; sizes / ``m``), drawn once per resample, and given those numbers the draws within a
piece are independent uniform draws from that piece alone, made a piece at a time. This is
exact (no Poisson approximation of the counts); only the random stream differs from the
direct draws, which are still used when all values fit in one piece.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PIECE", "bootstrap_totals"]

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
