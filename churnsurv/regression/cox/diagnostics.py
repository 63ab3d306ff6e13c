"""Proportional-hazards diagnostics of :class:`churnsurv.cox.CoxModel` (a mixin).

The ``cox.zph`` score test per term and globally, scaled Schoenfeld residuals and their plots.
The numerical work is in :mod:`churnsurv.regression.cox.engines`; this module turns it into
tables, warnings and figures.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv.exceptions import AssumptionWarning
from churnsurv.regression.cox import engines as core

__all__ = ["ProportionalHazardsChecks"]

_TRANSFORMS = ("km", "rank", "identity", "log")


class ProportionalHazardsChecks:
    """Mixin: PH tests and Schoenfeld residuals for a fitted Cox model."""

    def check_proportional_hazards(
        self, *, transform: str = "km", significance: float = 0.05, plot: bool = False
    ) -> pd.DataFrame:
        """Test proportional hazards with scaled Schoenfeld residuals, per term and globally.

        For each term, the score test of ``beta(t) = beta + gamma * g(t)`` (``gamma = 0`` under
        proportional hazards) with all other coefficients free -- the test R ``survival::cox.zph``
        computes (survival >= 3.0), whose default ``transform="km"`` is ``g = 1 - KM(t-)``, the
        left-continuous Kaplan-Meier estimate. (lifelines'
        ``proportional_hazard_test`` defaults to ``"rank"`` and uses an older approximation.)
        A term with several columns (a factor) is tested jointly; ``GLOBAL`` tests all at once.

        Parameters
        ----------
        transform : {"km", "rank", "identity", "log"}, default "km"
            Time scale ``g(t)`` of the alternative.
        significance : float, default 0.05
            Terms with ``p_value < significance`` are named in one :class:`AssumptionWarning`.
        plot : bool, default False
            Also draw the residual plots (:meth:`plot_schoenfeld`).

        Returns
        -------
        pandas.DataFrame
            Rows: terms then ``GLOBAL``; columns ``chisq``, ``df``, ``p_value``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> from churnsurv.regression.cox.model import CoxModel
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> ph = CoxModel("gender").fit(data).check_proportional_hazards()
        >>> ph.round(3)
                chisq  df  p_value
        term
        gender  1.822   1    0.177
        GLOBAL  1.822   1    0.177

        A violation is not printed but raised as one warning naming the terms:

        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     ph = CoxModel("gender + Partner").fit(data).check_proportional_hazards()
        >>> print(str(caught[0].message)[:73])
        proportional hazards looks violated (cox.zph, transform='km', p < 0.05) f
        """
        self._fitted()
        g_of_time = self._transform(transform)
        names = list(self._design.terms)
        chisq, glob = self._on_train(
            core.zph_test, None, g_of_time, [self._design.terms[t] for t in names]
        )
        dfs = [len(self._design.terms[t]) for t in names] + [len(self.params_)]
        out = pd.DataFrame(
            {"chisq": np.r_[chisq, glob], "df": dfs},
            index=pd.Index(names + ["GLOBAL"], name="term"),
        )
        out["p_value"] = stats.chi2.sf(out["chisq"], out["df"])
        out.attrs["transform"] = transform
        bad = [t for t in names if out.loc[t, "p_value"] < significance]
        if bad:
            warnings.warn(
                f"proportional hazards looks violated (cox.zph, transform={transform!r}, "
                f"p < {significance}) for: {', '.join(bad)}. Consider stratifying on it "
                "(CoxModel(..., strata=...)) or a time interaction; see the notebook 02-cox.",
                AssumptionWarning,
                stacklevel=2,
            )
        if plot:
            self.plot_schoenfeld(transform=transform)
        return out

    def _transform(self, transform: str):
        if transform not in _TRANSFORMS:
            raise ValueError(
                f"transform={transform!r} is not understood; use one of {list(_TRANSFORMS)}."
            )
        tr = self._train
        if transform == "identity":
            return lambda t: np.asarray(t, float)
        if transform == "log":
            return lambda t: np.log(np.asarray(t, float))
        times = np.unique(tr["time"][tr["event"]])
        if transform == "rank":  # rank of the time among the event times (R: rank(times))
            death_t = np.sort(tr["time"][tr["event"]])
            lo = np.searchsorted(death_t, times, "left")
            hi = np.searchsorted(death_t, times, "right")
            ranks = (lo + hi + 1) / 2
            return lambda t: ranks[np.minimum(np.searchsorted(times, t), times.size - 1)]
        # left-continuous Kaplan-Meier over all rows (counting process with entry times)
        P = core.pairs(
            np.zeros((len(tr["time"]), 1)),
            tr["time"],
            tr["event"],
            tr["w"],
            np.zeros(1),
            entry=tr["entry"],
            ties="breslow",
        )[0]
        q = np.bincount(P.k, P.dbar / P.den, P.times.size)  # d_k / n_k
        km_left = np.r_[1.0, np.cumprod(1 - q)]  # S(t-) = product over event times < t
        return lambda t: 1 - km_left[np.searchsorted(P.times, t, side="left")]

    def schoenfeld_residuals(self, *, scaled: bool = True, transform: str = "km"):
        """Scaled (or raw) Schoenfeld residuals, one row per churn event.

        Scaled residuals are ``beta + d * V r`` (d events, V the model-based covariance, r the
        raw residual), as R ``cox.zph`` returns them: their smooth against ``g(t)`` estimates
        ``beta(t)``.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer id; the term columns plus ``time`` and ``g`` (transformed time).

        Examples
        --------
        >>> import churnsurv as cs
        >>> from churnsurv.regression.cox.model import CoxModel
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> r = CoxModel("SeniorCitizen").fit(data).schoenfeld_residuals()
        >>> r.shape
        (1869, 3)
        """
        self._fitted()
        res, times, rows = self._on_train(core.schoenfeld)
        if scaled:
            hess = self._risk().evaluate(self.params_.to_numpy())[2]
            res = self.params_.to_numpy() + len(res) * res @ np.linalg.inv(-hess)
        out = pd.DataFrame(res, columns=self._design.columns)
        out["time"] = times
        out["g"] = self._transform(transform)(times)
        out.index = pd.Index(
            np.asarray(self._index)[rows] if hasattr(self, "_index") else rows, name="id"
        )
        return out

    def plot_schoenfeld(self, term: str | None = None, *, transform: str = "km", axes=None):
        """Scaled Schoenfeld residuals against transformed time, with a lowess smooth.

        A flat smooth at the estimated log-HR (dashed) supports proportional hazards; a trend
        means the effect changes with tenure.

        Parameters
        ----------
        term : str, optional
            One design column (default: all).
        transform : {"km", "rank", "identity", "log"}, default "km"
        axes : sequence of matplotlib Axes, optional
            One per term drawn.

        Returns
        -------
        list of matplotlib.axes.Axes

        Examples
        --------
        >>> import churnsurv as cs
        >>> from churnsurv.regression.cox.model import CoxModel
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> axes = CoxModel("SeniorCitizen").fit(data).plot_schoenfeld()
        >>> len(axes)
        1
        """
        from statsmodels.nonparametric.smoothers_lowess import lowess

        from churnsurv.plotting.cox import plot_schoenfeld

        res = self.schoenfeld_residuals(transform=transform)
        terms = self._design.columns if term is None else [term]
        panels = []
        for t in terms:
            if t not in res.columns:
                raise ValueError(f"term {t!r} is not in the model; terms: {self._design.columns}")
            smooth = lowess(res[t].to_numpy(), res["g"].to_numpy(), frac=2 / 3, it=0)
            panels.append(
                (
                    self._design.label(t),
                    res["g"].to_numpy(),
                    res[t].to_numpy(),
                    smooth,
                    float(self.params_[t]),
                )
            )
        return plot_schoenfeld(panels, xlabel=f"g(t), transform={transform!r}", axes=axes)
