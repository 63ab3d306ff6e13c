"""The linear predictor of new data without building its design matrix (private).

Predicting for a million customers, formulaic spends most of its time building an ``n x p``
matrix that is immediately multiplied by ``beta``. When every term of the formula is a numeric
column or a treatment-coded categorical (``plan``, ``C(plan)``, ``C(plan, contr.treatment('x'))``),
the centred linear predictor is a sum of ``beta_j (x_j - c_j)`` over the numeric columns and, per
categorical, one table lookup by level. :func:`plan` works out that coding from the fitted
design and checks it against formulaic's own matrix on training rows (the first rows and the
first row of every level but the reference, whose rows are all zeros either way); any other
formula (interactions, transforms, other contrasts) keeps the formulaic path.

Fitting, :func:`build` makes the design matrix itself the same way when every term is a column
named as it is (``plan + charges``): formulaic builds the model spec and its matrix on a *probe*
of the rows (the first rows and the first row of every distinct value of each categorical
column, so it sees every level, in the order they first appear), the plan is checked against
that matrix, and the full matrix is filled from each categorical's integer codes (one
comparison per dummy column) and the numeric columns as float64: no per-row Python objects.
The spec, column names, reference levels and matrix are formulaic's (tests compare both paths).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = ["build", "level_codes", "linear_predictor", "plan"]

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


def _lookup_variables(formula: str) -> list[str] | None:
    """The columns of a formula whose every term is one column named as it is, else None."""
    from formulaic import Formula

    names = []
    for term in Formula(formula):
        if str(term) == "1":
            continue
        factors = list(term.factors)
        method = getattr(factors[0].eval_method, "value", None) if len(factors) == 1 else None
        if method != "lookup":
            return None
        names.append(factors[0].expr)
    return names


def _codes(values: pd.Series) -> tuple[np.ndarray, list, np.ndarray] | None:
    """``(codes, labels, observed)`` of a categorical or object column: ``labels[codes]`` is
    the column and ``observed`` the codes that occur. None when a value is missing (formulaic
    would drop its row: the formulaic path keeps that behaviour)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        labels = list(values.cat.categories.astype(object))
    else:
        codes, uniques = pd.factorize(values.to_numpy())
        labels = list(uniques)
    if (codes < 0).any():
        return None
    observed = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
    return codes, labels, observed


def _first_rows(codes: np.ndarray, observed: np.ndarray, k: int) -> np.ndarray:
    """The first row of each observed code (of ``k``)."""
    first = np.zeros(k, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return first[observed]


def _column_kinds(frame: pd.DataFrame, variables: list[str]):
    """Codes and levels of the categorical columns and the names of the numeric ones, or None
    for a dtype the fast path leaves to formulaic (nullable, text, dates) or a missing value."""
    cats: dict[str, tuple[np.ndarray, list, np.ndarray]] = {}
    numeric: list[str] = []
    for v in variables:
        values = frame[v]
        kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else None
        if kind in ("f", "i", "u", "b"):
            if kind == "f" and np.isnan(values.to_numpy()).any():
                return None
            numeric.append(v)
        elif kind == "O" or isinstance(values.dtype, pd.CategoricalDtype):
            coded = _codes(values)
            if coded is None:
                return None
            cats[v] = coded
        else:
            return None
    return cats, numeric


def build(design, frame: pd.DataFrame) -> tuple[np.ndarray, tuple[list, dict]] | None:
    """``(design block (p x n, float64), plan)``, or None; sets the design's coding.

    None when a term is not a column named as it is, a column has a dtype or a missing value
    the fast path leaves to formulaic, or the plan does not reproduce formulaic's matrix of
    the probe rows (see the module docstring).
    """
    from churnsurv.regression.design import _float_frame, without_unused_categories

    variables = _lookup_variables(design.formula)
    kinds = None if not variables else _column_kinds(frame, variables)
    if kinds is None:
        return None
    cats, numeric = kinds
    design.levels = {
        v: sorted([lab[i] for i in seen], key=str) for v, (_, lab, seen) in cats.items()
    }
    rows = [np.arange(min(_CHECK_ROWS, len(frame)))]
    rows += [_first_rows(codes, seen, len(lab)) for codes, lab, seen in cats.values()]
    # the probe holds a row of every observed level: without the unused categories, formulaic
    # codes the levels the whole frame has (a category no row has gets no column)
    probe = without_unused_categories(frame.iloc[np.unique(np.concatenate(rows))], list(cats))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # see Design.fit_transform
        from formulaic import model_matrix

        mm = model_matrix(design.formula, probe)
    columns = [c for c in mm.columns if c != "Intercept"]
    design.columns = columns
    design._describe(mm.model_spec)
    found = plan(design, probe, _float_frame(mm, columns, probe.index).to_numpy())
    if found is None or any((level is None) != (v in numeric) for v, level in found[0]):
        return None
    out = np.empty((len(columns), len(frame)))
    positions = {  # each row's position in the sorted levels (a table lookup by code)
        v: pd.Index(design.levels[v], dtype=object)
        .get_indexer(pd.Index(labels, dtype=object))
        .astype(np.int32)[codes]
        for v, (codes, labels, _) in cats.items()
    }
    for j, (v, level) in enumerate(found[0]):
        if level is None:
            out[j] = frame[v].to_numpy(float)
        else:
            np.equal(positions[v], design.levels[v].index(level), out=out[j], casting="unsafe")
    return out, found
