"""Uno's IPCW concordance truncated at ``tau``: R ``survival::concordance(..., timewt = "n/G2",
ymax = tau)`` (Uno et al. 2011).

Each churn at time ``t`` (``t <= tau``) is compared with every customer known to have stayed
longer — observed beyond ``t``, or censored at ``t`` itself — and the pair is weighted by
``1 / G(t-)²``, ``G`` the reverse Kaplan–Meier with churns leaving the censoring risk set first
(:mod:`churnsurv.metrics.ipcw`; this is what R's concordance computes, checked on ``lung``). A
pair is concordant when the churner has the higher score. Score ties count 1/2; pairs of churns
at the same time (``tied_y``, or ``tied_xy`` when their scores tie too) are not comparable.
``C = (concordant + tied_x / 2) / (concordant + discordant + tied_x)``.

The counting is O(n log n) per batch of tied times: the scores of the comparable customers sit
in a Fenwick tree over score ranks, queried for all churns of one time at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._typing import ArrayLike
from churnsurv._validation import as_float_array
from churnsurv.exceptions import DataValidationError
from churnsurv.metrics.ipcw import censoring_survival, check_survival_outcome

__all__ = ["uno_c"]


def _bit_add(tree: np.ndarray, idx: np.ndarray) -> None:
    i = idx + 1
    while i.size:
        np.add.at(tree, i, 1)
        i = i + (i & -i)
        i = i[i < tree.size]


def _bit_prefix(tree: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Number of added ranks < idx, for each idx."""
    out = np.zeros(idx.size)
    i = idx.copy()
    while True:
        live = i > 0
        if not live.any():
            return out
        out[live] += tree[i[live]]
        i[live] -= i[live] & -i[live]


def uno_c(
    time: ArrayLike, event: ArrayLike, score: ArrayLike, *, tau: float | None = None
) -> pd.Series:
    """Uno's concordance (R ``concordance(..., reverse = TRUE, timewt = "n/G2", ymax = tau)``).

    Parameters
    ----------
    time, event : array-like
        Observed tenure and churn indicator.
    score : array-like
        Higher = churns sooner (a linear predictor, a risk score).
    tau : float, optional
        Only churns at or before ``tau`` are compared (R's ``ymax``); default all.

    Returns
    -------
    pandas.Series
        ``concordance`` and the weighted counts ``concordant``, ``discordant``, ``tied_x``,
        ``tied_y``, ``tied_xy`` (R's ``count``).

    Examples
    --------
    >>> uno_c([1, 2, 3, 4], [1, 1, 0, 1], [4, 3, 1, 2])["concordance"]
    np.float64(1.0)
    """
    t, e = check_survival_outcome(time, event)
    x = as_float_array(score, "score")
    if x.size != t.size:
        raise DataValidationError(
            f"score has {x.size} values for {t.size} customers.", column="score", rule="shape"
        )
    g = censoring_survival(t, e)
    _, rank = np.unique(x, return_inverse=True)
    tree = np.zeros(int(rank.max()) + 2)
    pool = 0
    conc = disc = tx = ty = txy = 0.0
    ut, inv = np.unique(t, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(ut.size + 1))
    for j in range(ut.size - 1, -1, -1):
        members = order[bounds[j] : bounds[j + 1]]
        cens = members[~e[members]]
        if cens.size:
            _bit_add(tree, rank[cens])
            pool += cens.size
        dead = members[e[members]]
        if dead.size == 0:
            continue
        if (tau is None or ut[j] <= tau) and pool:
            w = 1.0 / float(g.left(ut[j])) ** 2
            r = rank[dead]
            below = _bit_prefix(tree, r)
            upto = _bit_prefix(tree, r + 1)
            conc += w * below.sum()
            tx += w * (upto - below).sum()
            disc += w * (pool - upto).sum()
        if (tau is None or ut[j] <= tau) and dead.size > 1:
            w = 1.0 / float(g.left(ut[j])) ** 2
            same = np.unique(rank[dead], return_counts=True)[1]
            pairs_xy = float(np.sum(same * (same - 1) / 2))
            txy += w * pairs_xy
            ty += w * (dead.size * (dead.size - 1) / 2 - pairs_xy)
        _bit_add(tree, rank[dead])
        pool += dead.size
    total = conc + disc + tx
    c = (conc + tx / 2) / total if total > 0 else np.nan
    return pd.Series(
        {
            "concordance": c,
            "concordant": conc,
            "discordant": disc,
            "tied_x": tx,
            "tied_y": ty,
            "tied_xy": txy,
        }
    )
