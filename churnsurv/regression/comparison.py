"""Comparing parametric models of churn: log-likelihood, AIC and BIC, and a Kaplan-Meier overlay.

:func:`compare_models` fits the models of :mod:`churnsurv.regression.parametric` on the same
data and ranks them by AIC. A model without a usable maximum-likelihood fit (the fit raises
:class:`~churnsurv.exceptions.ConvergenceError`: an interval of the piecewise model without
exposure or churn, a gradient that does not vanish, non-finite or huge standard errors) is not
ranked: ``not_ranked`` says why, and the other models are compared as usual.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from churnsurv._render import Result
from churnsurv._typing import Axes
from churnsurv.data import ChurnData
from churnsurv.exceptions import ConvergenceError
from churnsurv.regression.parametric import (
    LogLogisticAFT,
    LogNormalAFT,
    PiecewiseExponential,
    WeibullAFT,
)

__all__ = ["ModelComparison", "compare_models"]

_MODELS = {
    "weibull": WeibullAFT,
    "loglogistic": LogLogisticAFT,
    "lognormal": LogNormalAFT,
    "piecewise": PiecewiseExponential,
}


class ModelComparison(Result):
    """Result of :func:`compare_models`: a table, the fitted models, and a KM-overlay plot.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per ranked model: ``n_params``, ``log_likelihood``, ``aic``, ``bic``,
        ``delta_aic``, sorted by AIC (lower is better).
    not_ranked : pandas.DataFrame
        The models without a usable maximum-likelihood fit, with the ``reason`` (empty when
        every model was fitted). They are shown below the table.
    models : dict
        The fitted (ranked) models by name.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> cmp = compare_models(data, models=("weibull", "lognormal"))
    >>> cmp.table.index.tolist(), len(cmp.not_ranked)
    (['log-normal AFT', 'Weibull AFT'], 0)
    """

    def __init__(
        self,
        table: pd.DataFrame,
        models: dict,
        data: ChurnData,
        not_ranked: pd.DataFrame | None = None,
    ) -> None:
        self.table = table
        self.models = models
        self.not_ranked = (
            not_ranked
            if not_ranked is not None
            else pd.DataFrame({"reason": pd.Series(dtype=str)}).rename_axis("model")
        )
        self._data = data

    _title = "Parametric models compared (lower AIC is better)"

    @property
    def summary(self) -> pd.DataFrame:
        """The comparison table (same as :attr:`table`)."""
        return self.table

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        frames = [("", self.table)]
        if len(self.not_ranked):
            frames.append(("Not ranked (no usable fit)", self.not_ranked))
        return frames

    def plot(self, *, horizon: float | None = None, ax: Axes | None = None) -> Axes:
        """Fitted marginal survival curves against Kaplan-Meier (lifelines), to ``horizon``.

        The dotted vertical line marks the longest observed tenure: right of it, the curves
        are extrapolations.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> ax = compare_models(data, models=("weibull",)).plot(horizon=120)
        >>> bool(ax.get_xlim()[1] >= 120)
        True
        """
        from lifelines import KaplanMeierFitter

        from churnsurv.plotting.cox import plot_model_comparison

        d = self._data
        km = KaplanMeierFitter().fit(
            d.durations, d.events, entry=d.entries if d.has_entry else None
        )
        t_max = max(m.max_time_ for m in self.models.values())
        grid = np.linspace(0.0, horizon or 2 * t_max, 200)
        curves = {name: (grid, m.marginal_survival(d, grid)) for name, m in self.models.items()}
        sf = km.survival_function_
        return plot_model_comparison(
            sf.index.to_numpy(),
            sf.iloc[:, 0].to_numpy(),
            curves,
            xlabel=f"tenure ({d.time_unit}s)",
            ax=ax,
        )


def compare_models(
    data: ChurnData,
    formula: str | None = None,
    *,
    models: Sequence[str] = ("weibull", "loglogistic", "lognormal", "piecewise"),
    breakpoints: Sequence[float] = (1, 12, 24),
) -> ModelComparison:
    """Fit several parametric models and compare log-likelihood, AIC and BIC.

    Parameters
    ----------
    data : ChurnData
    formula : str, optional
        The same right-hand side for every model (None: no covariates).
    models : sequence of {"weibull", "loglogistic", "lognormal", "piecewise"}
    breakpoints : sequence of float
        For the piecewise-exponential model.

    Returns
    -------
    ModelComparison
        ``.table`` (sorted by AIC), ``.not_ranked`` (models without a usable fit and why),
        ``.models``, ``.plot(horizon=..., ax=None)``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> compare_models(data, models=("weibull", "loglogistic")).table.columns.tolist()
    ['n_params', 'log_likelihood', 'aic', 'bic', 'delta_aic']
    """
    unknown = [m for m in models if m not in _MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {list(_MODELS)}.")
    fitted, failed = {}, {}
    for key in models:
        kw = {"breakpoints": breakpoints} if key == "piecewise" else {}
        m = _MODELS[key](formula, **kw)
        try:
            fitted[m.name] = m.fit(data)
        except ConvergenceError as exc:  # one model without a fit does not stop the others
            failed[m.name] = str(exc)
    cols = ["n_params", "log_likelihood", "aic", "bic"]
    table = pd.DataFrame(
        [[m.n_params_, m.log_likelihood_, m.aic_, m.bic_] for m in fitted.values()],
        index=pd.Index(list(fitted), name="model"),
        columns=cols,
    ).sort_values("aic")
    table["n_params"] = table["n_params"].astype(int)
    table["delta_aic"] = table["aic"] - table["aic"].min()
    not_ranked = pd.DataFrame(
        {"reason": pd.Series(failed, dtype=str)}, index=pd.Index(list(failed), name="model")
    )
    return ModelComparison(table, fitted, data, not_ranked)
