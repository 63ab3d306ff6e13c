"""The linear predictor of new data without building its design matrix (private).

Predicting for a million customers, formulaic spends most of its time building an ``n x p``
matrix that is immediately multiplied by ``beta``. When every term of the formula is a numeric
column or a treatment-coded categorical (``plan``, ``C(plan)``, ``C(plan, contr.treatment('x'))``),
the centred linear predictor is a sum of ``beta_j (x_j - c_j)`` over the numeric columns and, per
categorical, one table lookup by level. :func:`plan` works out that coding from the fitted
design and checks it against formulaic's own matrix on training rows (the first rows and the
first row of every level but the reference, whose rows are all zeros either way); any other
formula (interactions, transforms, other contrasts) keeps the formulaic path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["level_codes", "linear_predictor", "plan"]

#: Training rows (besides one per level) on which the plan must reproduce formulaic's matrix.
_CHECK_ROWS = 500


def _variable(factor: str, variables: list[str]) -> str | None:
    """The data column a formula factor reads: ``plan``, ``C(plan)`` or ``C(plan, ...)``."""
    if factor in variables:
        return factor
    if factor.startswith("C(") and factor.endswith(")"):
        name = factor[2:-1].split(",")[0].strip()
        return name if name in variables else None
    return None


def level_codes(values: pd.Series, levels: list) -> np.ndarray:
    """Position of each value in ``levels`` (-1 when absent or missing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        where = pd.Index(levels).get_indexer(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, where[codes], -1)
    return pd.Index(levels).get_indexer(values)


def _columns(plan_: list, frame: pd.DataFrame, levels: dict) -> np.ndarray:
    """The design matrix the plan describes (for the check against formulaic)."""
    out = np.empty((len(frame), len(plan_)))
    for j, (v, level) in enumerate(plan_):
        if level is None:
            out[:, j] = frame[v].to_numpy(float)
        else:
            out[:, j] = level_codes(frame[v], levels[v]) == levels[v].index(level)
    return out


def plan(design, frame: pd.DataFrame, X: np.ndarray) -> tuple[list, dict] | None:
    """``([(variable, level or None) per design column], {variable: levels})``, or None.

    ``X`` is formulaic's design matrix of the training ``frame``; the plan is kept only if it
    reproduces ``X`` exactly on the checked rows.
    """
    from churnsurv.regression.design import _is_categorical, _observed_levels

    columns: dict[str, tuple] = {}
    for st in design.spec.structure:
        factors = [str(f) for f in st.term.factors]
        if str(st.term) == "1":
            continue
        v = _variable(factors[0], design.variables) if len(factors) == 1 else None
        if v is None:
            return None
        for c in st.columns:
            if c == v and not _is_categorical(frame[v]):
                columns[c] = (v, None)
            elif c.startswith(f"{factors[0]}[T.") and c.endswith("]"):
                columns[c] = (v, c[len(factors[0]) + 3 : -1])  # the level as formulaic prints it
            else:
                return None
    levels: dict[str, list] = {}
    plan_ = []
    for c in design.columns:
        if c not in columns:
            return None
        v, name = columns[c]
        if name is None:
            plan_.append((v, None))
            continue
        if v not in levels:
            levels[v] = design.levels.get(v) or sorted(_observed_levels(frame[v]), key=str)
        match = [lv for lv in levels[v] if str(lv) == name]
        if len(match) != 1:
            return None
        plan_.append((v, match[0]))
    rows = set(range(min(_CHECK_ROWS, len(frame))))
    for j, (_, level) in enumerate(plan_):  # the first row of each (non-reference) level
        if level is not None:
            rows.add(int(np.argmax(X[:, j] != 0)))
    take = np.sort(np.fromiter(rows, np.int64))
    if not np.array_equal(_columns(plan_, frame.iloc[take], levels), X[take]):
        return None
    return plan_, levels


def linear_predictor(plan_: tuple[list, dict], frame, beta, center) -> np.ndarray:
    """``(x - center) @ beta`` of every row of ``frame`` (checked data) from the plan."""
    columns, levels = plan_
    lp = np.zeros(len(frame))
    tables: dict[str, np.ndarray] = {}
    for j, (v, level) in enumerate(columns):
        if level is None:
            lp += beta[j] * (frame[v].to_numpy(float) - center[j])
            continue
        table = tables.setdefault(v, np.zeros(len(levels[v])))
        ind = np.zeros(len(levels[v]))
        ind[levels[v].index(level)] = 1.0
        table += beta[j] * (ind - center[j])  # each level's row of the design, times beta
    for v, table in tables.items():
        lp += table[level_codes(frame[v], levels[v])]
    return lp
