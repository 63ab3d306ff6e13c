"""Bootstrap percentile intervals of CLV: customers resampled, the model refitted.

Private helpers of :func:`~churnsurv.clv.clv` (``ci=True``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from churnsurv.clv._valuation import _customer_values, _is_km, _segment_values
from churnsurv.data import ChurnData

#: Fit-time settings that always name columns, never one value per row.
_COLUMN_PARAMS = frozenset({"by"})


def _refit(model, sample: ChurnData, positions: np.ndarray):
    """The same model, with every fit-time setting (``fit_params_``), fitted to a resample.

    Constructor settings travel with the copy; fit-time settings (``by``, case weights,
    clusters) are repeated, and those given as one value per row are resampled with the rows.
    """
    params = dict(getattr(model, "fit_params_", {}))
    for key, value in params.items():
        # ``by`` always names columns (a name or a list of names); other settings are a column
        # name or one value per row
        if key not in _COLUMN_PARAMS and value is not None and not isinstance(value, str):
            params[key] = np.asarray(value)[positions]
    return copy.copy(model).fit(sample, **params)


def _bootstrap(model, data, index, how, n_boot, conf_level, rng, progress):
    """Percentile interval of each value: customers resampled, the model refitted."""
    rng = np.random.default_rng(rng)
    is_km = _is_km(model)
    draws = []
    iterator: Callable = range
    if progress:
        from tqdm.auto import trange

        iterator = trange
    for _ in iterator(int(n_boot)):
        idx = rng.integers(0, data.n, data.n)
        sample = data.take(idx)
        fit = _refit(model, sample, idx)
        if is_km:
            v = _segment_values(fit, sample, how)
        else:
            # per-customer values of the ORIGINAL customers under the refitted model
            v = _customer_values(fit, data, how)
        draws.append(v["clv"].reindex(index))
    boot = np.vstack([d.to_numpy(dtype=float) for d in draws])
    lower = np.nanquantile(boot, (1 - conf_level) / 2, axis=0)
    upper = np.nanquantile(boot, (1 + conf_level) / 2, axis=0)
    return lower, upper
