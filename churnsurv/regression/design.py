"""The design matrix shared by the Cox and parametric models (private).

A formula is turned into a design matrix once, with formulaic (the library lifelines uses too),
and the resulting *model spec* is stored so that predictions use exactly the same coding.
Categorical columns get treatment coding; the reference level is the first level in sorted order
(or the pandas category order), or the one named with ``C(x, contr.treatment('level'))``.

A formula is data, not code: :func:`check_formula` parses it (formulaic's parser evaluates
nothing) and accepts only column names, ``C(...)`` with its contrast options, the transforms in
:data:`ALLOWED_TRANSFORMS`, ``I(...)`` arithmetic and interactions, before anything is evaluated.
"""

from __future__ import annotations

import ast
import warnings

import numpy as np
import pandas as pd

from churnsurv._categories import category_counts, present_values
from churnsurv._validation import check_horizon
from churnsurv.exceptions import DataValidationError
from churnsurv.regression import fast_design

__all__ = [
    "ALLOWED_TRANSFORMS",
    "Design",
    "check_design",
    "check_formula",
    "churn_probability",
    "customer_rows",
    "survival_frame",
]


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or isinstance(
        series.dtype, pd.CategoricalDtype
    )


def customer_rows(data) -> pd.DataFrame:
    """The frame to predict from: one row per customer (a panel's last interval)."""
    frame = data.frame if hasattr(data, "frame") else data
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected ChurnData or a pandas DataFrame, got {type(data).__name__}")
    if getattr(data, "panel", False):
        last = frame.reset_index().groupby(frame.index.name, sort=False).tail(1)
        frame = last.set_index(frame.index.name)
    return frame


def survival_frame(values, index, times, *, conditional: bool, time_unit: str) -> pd.DataFrame:
    """Customers × times survival predictions, labelled the same way for every model.

    Examples
    --------
    >>> survival_frame([[0.9, 0.8]], ["c1"], [1.0, 2.0], conditional=True, time_unit="month")
    time_from_now  1.0  2.0
    c1             0.9  0.8
    """
    result = pd.DataFrame(
        values,
        index=index,
        columns=pd.Index(times, name="time_from_now" if conditional else "tenure"),
    )
    result.attrs.update(time_unit=time_unit, conditional=conditional)
    return result


def churn_probability(model, data, within) -> pd.Series:
    """``1 - S(tenure + within) / S(tenure)`` per customer from ``model.predict_survival``.

    Examples
    --------
    >>> class Flat:
    ...     def predict_survival(self, data, times, conditional):
    ...         return pd.DataFrame({times[0]: [0.75]}, index=["c1"])
    >>> churn_probability(Flat(), None, 6).tolist()
    [0.25]
    """
    within = check_horizon(within, name="within", whole=False)
    surv = model.predict_survival(data, [within], conditional=True)
    return (1 - surv.iloc[:, 0]).rename(f"p_churn_within_{within:g}")


def without_unused_categories(frame: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """``frame`` with the categories no row has removed from its categorical ``variables``.

    A level that never occurs gets no design column, as for a text column (whose levels are
    the values it holds): a categorical read from a file, sampled or with rows excluded keeps
    every category, and formulaic would make an all-zero column of each one left unused. A
    shallow copy with the changed columns when a category is unused, else ``frame`` itself.

    Examples
    --------
    >>> frame = pd.DataFrame({"plan": pd.Categorical(["a", "b"], categories=["a", "b", "c"])})
    >>> without_unused_categories(frame, ["plan"])["plan"].cat.categories.tolist()
    ['a', 'b']
    """
    changed = {}
    for v in variables:
        column = frame[v]
        found = category_counts(column)
        if found is not None and np.count_nonzero(found[0]) < found[0].size:
            changed[v] = column.cat.remove_unused_categories()
    if not changed:
        return frame
    out = frame.copy(deep=False)
    for v, column in changed.items():
        out[v] = column
    return out


def _observed_levels(values: pd.Series) -> list:
    """The distinct values of a column as Python objects (categoricals: the observed ones)."""
    found = category_counts(values)
    if found is not None:  # missing first, then the categories in order (np.unique's codes)
        counts, missing = found
        cats = values.cat.categories.astype(object)
        return [np.nan] * (missing > 0) + [cats[c] for c in np.flatnonzero(counts)]
    return list(pd.unique(values.astype(object)))


def _float_frame(mm: pd.DataFrame, columns: list, index: pd.Index) -> pd.DataFrame:
    """The model matrix's ``columns`` as one float64 block in a frame (no further copies).

    The block is column-major, pandas' own layout: each column is copied contiguously (a
    row-major block costs a strided write per column, several times slower at a million rows).
    """
    out = np.empty((len(columns), len(index)))
    for j, c in enumerate(columns):
        out[j] = mm[c]
    return pd.DataFrame(out.T, columns=columns, index=index, copy=False)


#: Functions a formula may call besides ``C(...)`` and ``I(...)``.
ALLOWED_TRANSFORMS = ("np.log", "np.log1p", "np.log2", "np.log10", "np.sqrt", "np.exp", "np.abs")
#: Contrast codings allowed inside ``C(x, ...)``.
_CONTRASTS = ("treatment", "sum", "helmert", "poly", "diff")
_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def _dotted(node: ast.AST) -> str | None:
    """``np.log`` for the attribute chain np -> log; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _check_constant(node: ast.AST) -> bool:
    """A literal, or a list / tuple of literals (contrast levels, reference level)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.List | ast.Tuple):
        return all(_check_constant(e) for e in node.elts)
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd)


def _check_expression(node: ast.AST, *, arithmetic: bool) -> bool:
    """True when ``node`` is a column, an allowed call, or (inside I()) arithmetic on them."""
    if isinstance(node, ast.Name):
        return not node.id.startswith("_")
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if arithmetic and isinstance(node, ast.BinOp) and isinstance(node.op, _OPERATORS):
        return _check_expression(node.left, arithmetic=True) and _check_expression(
            node.right, arithmetic=True
        )
    if arithmetic and isinstance(node, ast.UnaryOp) and isinstance(node.op, _OPERATORS):
        return _check_expression(node.operand, arithmetic=True)
    if not isinstance(node, ast.Call):
        return False
    name = _dotted(node.func)
    if name in ALLOWED_TRANSFORMS or name == "I":
        return (
            len(node.args) == 1
            and not node.keywords
            and _check_expression(node.args[0], arithmetic=name == "I" or arithmetic)
        )
    if name == "C":
        if not node.args or not _check_expression(node.args[0], arithmetic=False):
            return False
        options = list(node.args[1:]) + [k.value for k in node.keywords]
        return all(_check_contrast(o) for o in options)
    return False


def _check_contrast(node: ast.AST) -> bool:
    """A contrast option of ``C(...)``: a literal, or ``contr.treatment('level')`` and kin."""
    if _check_constant(node):
        return True
    if isinstance(node, ast.Name):
        return node.id in _CONTRASTS
    if isinstance(node, ast.Attribute):
        return _dotted(node) in {f"contr.{c}" for c in _CONTRASTS}
    if isinstance(node, ast.Call):
        name = _dotted(node.func)
        allowed = {f"contr.{c}" for c in _CONTRASTS} | set(_CONTRASTS)
        return (
            name in allowed
            and all(_check_constant(a) for a in node.args)
            and all(_check_constant(k.value) for k in node.keywords)
        )
    return False


def check_formula(formula: str) -> None:
    """Refuse a formula that is anything but columns, contrasts and allowed transforms.

    formulaic evaluates the Python parts of a formula (``np.log(x)``, ``C(x)``, ``I(x ** 2)``)
    with ``eval``; this check runs first, on the parsed terms, and accepts only: column names
    (backquoted names with spaces too), ``C(column, contrast options)``, the functions in
    :data:`ALLOWED_TRANSFORMS`, ``I(...)`` with ``+ - * / **`` on columns and numbers, and the
    operators ``+ - : * /`` between terms. Anything else (attribute access, other calls,
    subscripts, dunder names) raises :class:`~churnsurv.exceptions.DataValidationError`.

    Examples
    --------
    >>> check_formula("C(Contract, contr.treatment('Two year')) + np.log(MonthlyCharges)")
    >>> check_formula('np.log(__import__("os").system("true"))')
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: formula ... is not allowed. A formula may use ...
    """
    from formulaic import Formula  # imported when first used: `import churnsurv` stays light

    try:
        terms = list(Formula(formula))
    except Exception as exc:  # formulaic parse errors have many types
        raise DataValidationError(
            f"formula {formula!r} could not be parsed: {exc}", column="formula", rule="bad formula"
        ) from exc
    for term in terms:
        for factor in term.factors:
            method = getattr(factor.eval_method, "value", str(factor.eval_method))
            if method in ("literal", "lookup"):
                continue  # a number or a column name: nothing is evaluated
            try:
                tree = ast.parse(factor.expr, mode="eval")
                ok = _check_expression(tree.body, arithmetic=False)
            except SyntaxError:
                ok = False
            if not ok:
                raise DataValidationError(
                    f"formula {formula!r}: {factor.expr!r} is not allowed. A formula may use "
                    "column names, C(column, contrast), I(arithmetic on columns) and "
                    f"{', '.join(ALLOWED_TRANSFORMS)}; nothing else is evaluated.",
                    column="formula",
                    rule="disallowed expression",
                )


class Design:
    """Formula → design matrix, with the model spec, term groups and reference levels.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"plan": ["b", "a", "c", "a"], "x": [1.0, 2.0, 3.0, 5.0]})
    >>> d = Design("plan + x")
    >>> X = d.fit_transform(df, purpose="a test")
    >>> list(X.columns), d.reference_levels
    (['plan[T.b]', 'plan[T.c]', 'x'], {'plan': 'a'})
    """

    #: design column names, categorical levels (sorted as text) and the fast-prediction plan
    columns: list[str]
    levels: dict[str, list]
    fast_plan: tuple[list, dict] | None

    def __init__(self, formula: str) -> None:
        if not isinstance(formula, str) or not formula.strip():
            raise ValueError(
                f"formula must be a non-empty string such as 'Contract + MonthlyCharges'; "
                f"got {formula!r}."
            )
        self.formula = formula
        check_formula(formula)
        from formulaic import Formula

        try:
            self.variables = sorted(Formula(formula).required_variables)
        except Exception as exc:  # formulaic parse errors have many types
            raise ValueError(f"formula {formula!r} could not be parsed: {exc}") from exc

    def fit_transform(self, frame: pd.DataFrame, *, purpose: str) -> pd.DataFrame:
        """Build the design matrix (no intercept column) and remember the coding.

        When every term is a column named as it is, the matrix is filled from the columns'
        integer codes (:func:`~churnsurv.regression.fast_design.build`: formulaic's spec and
        coding, checked on a probe of the rows); otherwise formulaic builds it.
        """
        if "~" in self.formula:
            raise ValueError(
                f"formula {self.formula!r}: give only the right-hand side (e.g. "
                "'Contract + MonthlyCharges'); durations and events come from ChurnData."
            )
        fast = fast_design.build(self, frame)
        if fast is not None:  # every term a column named as it is: built from codes
            block, self.fast_plan = fast
            return pd.DataFrame(block.T, columns=self.columns, index=frame.index, copy=False)
        frame = without_unused_categories(frame, self.variables)
        self.levels = {
            v: sorted(_observed_levels(frame[v]), key=str)
            for v in self.variables
            if _is_categorical(frame[v])
        }
        with warnings.catch_warnings():
            # formulaic warns about pandas' future downcasting behaviour on some versions; the
            # warning is about formulaic internals, not our data.
            warnings.simplefilter("ignore", FutureWarning)
            from formulaic import model_matrix

            mm = model_matrix(self.formula, frame)
        X = _float_frame(mm, [c for c in mm.columns if c != "Intercept"], frame.index)
        if X.shape[1] == 0:
            raise ValueError(f"formula {self.formula!r} has no covariate terms.")
        self.columns = list(X.columns)
        self._describe(mm.model_spec)
        self.fast_plan = fast_design.plan(self, frame, X.to_numpy())
        return X

    def _describe(self, spec) -> None:
        """The model spec, the design columns of each term and the reference levels."""
        self.spec = spec
        self.terms: dict[str, list[int]] = {}
        for st in self.spec.structure:
            cols = [self.columns.index(c) for c in st.columns if c in self.columns]
            if cols:
                self.terms[str(st.term)] = cols
        self.reference_levels: dict[str, object] = {}
        for name, (kind, state) in self.spec.encoder_state.items():
            if str(kind).endswith("CATEGORICAL") and "contrasts" in state:
                base = getattr(state["contrasts"].contrasts, "base", None)
                levels = state["contrasts"].levels
                ref = levels[0] if base is None or "UNSET" in repr(base) else base
                self.reference_levels[name] = ref

    def transform(self, frame: pd.DataFrame, *, purpose: str) -> pd.DataFrame:
        """The design matrix of new data with the fitted coding; unseen levels raise."""
        self._check_new(frame, purpose)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # see fit_transform
            mm = self.spec.get_model_matrix(frame)
        return _float_frame(mm, self.columns, frame.index)

    def linear_predictor(self, frame: pd.DataFrame, beta, center, *, purpose: str) -> np.ndarray:
        """``(x - center) @ beta`` for each row of new data (unseen levels raise).

        Without building the design matrix when every term is a numeric column or a
        treatment-coded categorical (:mod:`~churnsurv.regression.fast_design`; equal to the
        matrix product up to rounding), through :meth:`transform` otherwise.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"plan": ["b", "a", "c", "a"], "x": [1.0, 2.0, 3.0, 5.0]})
        >>> d = Design("plan + x")
        >>> X = d.fit_transform(df, purpose="a test")
        >>> d.linear_predictor(df, np.array([1.0, 2.0, 0.5]), np.zeros(3), purpose="a test")
        array([1.5, 1. , 3.5, 2.5])
        """
        fast = getattr(self, "fast_plan", None)
        if fast is None:
            return (self.transform(frame, purpose=purpose).to_numpy() - center) @ beta
        self._check_new(frame, purpose)
        return fast_design.linear_predictor(fast, frame, beta, center)

    def _check_new(self, frame: pd.DataFrame, purpose: str) -> None:
        """Refuse new data with missing columns, unseen levels or missing values."""
        missing = [v for v in self.variables if v not in frame.columns]
        if missing:
            raise DataValidationError(
                f"column {missing[0]!r}: needed by the formula {self.formula!r} for {purpose} "
                "but not in the data.",
                column=missing[0],
                rule="missing column",
            )
        for v, seen in self.levels.items():
            distinct = pd.Series(present_values(frame[v]), dtype=object)
            if (distinct.isin(seen) | distinct.isna()).all():  # one pass over distinct values
                continue
            values = frame[v].astype(object)
            bad = ~values.isin(seen) & values.notna()
            if bad.any():
                unseen = sorted(pd.unique(values[bad]), key=str)
                raise ValueError(
                    f"column {v!r}: level(s) {unseen} were not seen when the model was fitted "
                    f"(fitted levels: {seen}); {int(bad.sum())} row(s), e.g. ids "
                    f"{list(frame.index[bad.to_numpy()][:5])}. The model has no coefficient for "
                    "them: map them to a fitted level or refit with them."
                )
        for v in self.variables:
            if frame[v].isna().any():
                n_bad = int(frame[v].isna().sum())
                raise DataValidationError(
                    f"column {v!r}: missing values in {n_bad} row(s); {purpose} cannot use them.",
                    column=v,
                    rule="missing values",
                    n_rows=n_bad,
                )

    def label(self, column: str) -> str:
        """A readable label: ``Contract: One year (vs Month-to-month)``.

        ``C(tariff_plan)[T.2]`` reads ``tariff_plan: 2 (vs 1)`` (the ``C( )`` wrapper and any
        contrast argument dropped).
        """
        for factor, ref in self.reference_levels.items():
            prefix = f"{factor}[T."
            if column.startswith(prefix) and column.endswith("]") and ":" not in column:
                level = column[len(prefix) : -1]
                name = factor
                if name.startswith("C(") and name.endswith(")"):
                    name = name[2:-1].split(",")[0].strip()
                return f"{name}: {level} (vs {ref})"
        return column


def _centred_cross_products(xv: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``(X - mean)' (X - mean)`` in row chunks (no n x p temporary).

    A chunk is about 200,000 cells (rows x p x p): it stays in cache, and OpenBLAS runs a
    product that small on one thread (its threads spin-wait on a busy machine, 10x slower).
    """
    chunk = max(256, 200_000 // max(xv.shape[1], 1) ** 2)
    out = np.zeros((xv.shape[1], xv.shape[1]))
    for start in range(0, len(xv), chunk):
        block = xv[start : start + chunk] - mean
        out += block.T @ block
    return out


def _row_sums(xv: np.ndarray, idx: list[int]) -> np.ndarray:
    """Each row's sum over the columns ``idx`` (summed in place: no n x len(idx) copy)."""
    out = xv[:, idx[0]].copy()
    for j in idx[1:]:
        out += xv[:, j]
    return out


def check_design(
    design: Design, xv: np.ndarray, event: np.ndarray, *, penalized: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Refuse constant, collinear or (unpenalised) separated terms of a Cox design.

    Returns the sample SD of each design column (lifelines' scale of the ridge penalty) and
    whether each column is binary (0/1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> d = Design("x")
    >>> xv = d.fit_transform(pd.DataFrame({"x": [1.0, 1.0, 1.0]}), purpose="test").to_numpy()
    >>> check_design(d, xv, np.array([True, False, True]))
    Traceback (most recent call last):
    ...
    ValueError: term 'x' is constant (every row has the value 1): ...
    """
    cols = design.columns
    n = len(xv)
    # column by column: no n x p temporary (the design is a column-major block)
    bad = [j for j in range(xv.shape[1]) if not np.isfinite(xv[:, j]).all()]
    if bad:
        j = bad[0]
        n_bad = int((~np.isfinite(xv[:, j])).sum())
        raise DataValidationError(
            f"term {cols[j]!r}: {n_bad} row(s) are infinite or not a number, so no coefficient "
            "can be estimated; fix or exclude those rows (prepare(..., on_invalid='drop') "
            "with the column in covariates=).",
            column=str(cols[j]),
            rule="non-finite covariate",
            n_rows=n_bad,
        )
    mean = xv.mean(axis=0)
    cov = _centred_cross_products(xv, mean) / n  # centred first: no cancellation at 1e12 + x
    sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    sample_sd = sd * np.sqrt(n / max(n - 1, 1))  # sample SD, as lifelines standardises
    lo, hi = xv.min(axis=0), xv.max(axis=0)
    binary = np.array(
        [
            lo[j] >= 0 and hi[j] <= 1 and bool(((xv[:, j] == 0) | (xv[:, j] == 1)).all())
            for j in range(xv.shape[1])
        ]
    )
    # constant: every row has the same value (a spread of 1e-12 is still a spread)
    for j in np.flatnonzero((hi == lo) | (sd == 0)).tolist():
        raise ValueError(
            f"term {cols[j]!r} is constant (every row has the value {xv[0, j]:g}): its effect "
            "cannot be estimated. Drop it from the formula (or, for a level that never "
            "occurs, remove the unused category)."
        )
    evals, evecs = np.linalg.eigh(cov / np.outer(sd, sd))
    if evals[0] < 1e-9 * max(evals[-1], 1.0):
        v = evecs[:, 0]
        involved = [cols[j] for j in np.flatnonzero(np.abs(v) > 1e-4)]
        raise ValueError(
            f"terms {involved} are perfectly collinear (one is a linear combination of the "
            "others, or of the baseline): their effects cannot be separated. Drop one of them "
            "from the formula."
        )
    if penalized:
        return sample_sd, binary  # the penalty keeps a separated term's coefficient finite
    ones = xv.sum(axis=0)  # rows with x = 1 (for binary columns)
    ev_ones = event.astype(float) @ xv  # ... of which churned
    n_ev = float(event.sum())
    for name, idx in design.terms.items():
        if not binary[idx].all():
            continue
        checks = [(design.label(cols[j]), ones[j], ev_ones[j]) for j in idx]
        rest, rest_ev = n - ones[idx].sum(), n_ev - ev_ones[idx].sum()
        if len(idx) > 1 and _row_sums(xv, idx).max() > 1:
            rest = 0  # not one factor's dummies (e.g. an interaction): skip the remainder
        ref = design.reference_levels.get(name)
        label = f"{name}: {ref} (the reference level)" if ref is not None else f"{name} = 0"
        checks.append((label, rest, rest_ev))
        for label, size, n_events in checks:
            if size > 0 and n_events == 0:
                raise ValueError(
                    f"{label}: no churn events among its {int(size)} row(s), so its "
                    "hazard ratio is 0 and the coefficient diverges (separation). Merge the "
                    "level with a similar one, drop those rows, or fit with a penalizer "
                    "(e.g. CoxModel(..., penalizer=0.1))."
                )
    return sample_sd, binary
