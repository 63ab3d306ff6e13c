"""Exceptions and warnings raised by churnsurv.

All user-input errors are :class:`DataValidationError`, a :class:`ValueError`, raised by
:mod:`churnsurv.data` (row rules) or by the shared argument rules in ``churnsurv._validation``,
with a message naming the column, the rule broken, how many rows broke it and up to five
example ids. A method called before ``fit`` raises :class:`NotFittedError`.
"""

from __future__ import annotations

__all__ = ["AssumptionWarning", "ConvergenceError", "DataValidationError", "NotFittedError"]


class DataValidationError(ValueError):
    """Input data broke a validation rule.

    Attributes
    ----------
    column : str or None
        The column (or argument) that broke the rule.
    rule : str
        A short name of the rule, e.g. ``"negative duration"``.
    n_rows : int
        How many rows broke it (0 when the rule is about the table or an argument).
    examples : list
        Up to five ids (or row positions) of offending rows.

    Examples
    --------
    >>> err = DataValidationError("bad", column="tenure", rule="negative duration", n_rows=2)
    >>> isinstance(err, ValueError), err.column, err.n_rows
    (True, 'tenure', 2)
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        rule: str = "",
        n_rows: int = 0,
        examples: list | None = None,
    ) -> None:
        super().__init__(message)
        self.column = column
        self.rule = rule
        self.n_rows = n_rows
        self.examples = list(examples or [])


class ConvergenceError(RuntimeError):
    """A model fit did not converge.

    The message names the term that diverged where that can be told, and suggests a remedy
    (usually a ``penalizer``).

    Examples
    --------
    >>> issubclass(ConvergenceError, RuntimeError)
    True
    """


class AssumptionWarning(UserWarning):
    """A model assumption (e.g. proportional hazards) looks violated.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("PH violated for: Contract", AssumptionWarning, stacklevel=2)
    >>> caught[0].category.__name__
    'AssumptionWarning'
    """


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``.

    A subclass of both ``ValueError`` and ``AttributeError`` (as scikit-learn's), so code that
    caught either keeps working.

    Examples
    --------
    >>> import churnsurv as cs
    >>> try:
    ...     cs.KaplanMeier().summary
    ... except cs.NotFittedError as err:
    ...     print(err)
    this KaplanMeier is not fitted yet; call .fit(...) first.
    """
