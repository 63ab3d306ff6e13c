"""Type aliases used in public signatures (private).

The aliases say what a user may pass; they are checked by mypy in ``make test``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes as Axes
else:
    Axes = Any

__all__ = ["ArrayLike", "Axes", "Columns", "DateLike", "Label", "Seed", "Weights"]

#: Numbers: a list, a numpy array, a pandas Series, or a scalar.
ArrayLike: TypeAlias = npt.ArrayLike
#: One column name or several (None: none).
Columns: TypeAlias = "str | Sequence[str] | None"
#: A value of a column (an event label, a segment value).
Label: TypeAlias = Any
#: A date: a string such as "2024-12-31", a datetime or a pandas Timestamp.
DateLike: TypeAlias = "str | pd.Timestamp | np.datetime64 | Any"
#: Case weights: a carried column's name or one value per row (None: unweighted).
Weights: TypeAlias = "str | npt.ArrayLike | None"
#: A random seed or a numpy Generator (None: fresh entropy).
Seed: TypeAlias = "int | np.random.Generator | None"
