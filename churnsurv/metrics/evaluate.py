"""``evaluate``: every prediction metric of a model (or of plain scores) on test customers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from churnsurv._render import Result, facts_frame
from churnsurv._typing import ArrayLike
from churnsurv._validation import check_choice, check_conf_level
from churnsurv.exceptions import DataValidationError
from churnsurv.metrics.brier import brier_values, integrate_steps
from churnsurv.metrics.calibration import Calibration, calibration
from churnsurv.metrics.concordance import harrell_c
from churnsurv.metrics.gains import Gains, gains
from churnsurv.metrics.ipcw import (
    as_risk_matrix,
    censoring_survival,
    check_horizons,
    check_survival_outcome,
)
from churnsurv.metrics.td_auc import auc_values
from churnsurv.metrics.uno import uno_c

__all__ = ["Evaluation", "evaluate"]

_KINDS = ("auto", "churn_probability", "survival", "score")


class Evaluation(Result):
    """Prediction metrics per horizon on test customers.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per horizon: ``time``, ``n_cases``, ``n_controls``, ``auc`` (with
        ``auc_std_err``, ``auc_ci_lower``, ``auc_ci_upper``: riskRegression::Score's influence
        function standard error), ``harrell_c`` of that horizon's predictions over the whole
        follow-up (with ``harrell_c_std_err``, R ``concordance()``'s infinitesimal jackknife,
        and its Wald interval ``harrell_c_ci_lower``, ``harrell_c_ci_upper``), ``uno_c`` (Uno's
        concordance truncated at the horizon, with G from the test data as R's
        ``concordance(timewt = "n/G2", ymax = t)``), ``brier`` (with ``brier_std_err``,
        ``brier_ci_lower``, ``brier_ci_upper``), ``null_brier`` (Kaplan–Meier null model, with
        ``null_brier_std_err``), ``ipa``, ``ibs``, ``null_ibs``, ``ici``, ``e50``, ``e90``,
        ``top_decile_lift``. Brier and calibration columns are NaN for plain scores (they are
        not probabilities). Intervals are at ``summary.attrs["conf_level"]``; with
        ``train_data`` the standard errors take G as fixed.
    calibration : dict
        :class:`~churnsurv.metrics.Calibration` per horizon (probabilities only).
    gains : dict
        :class:`~churnsurv.metrics.Gains` per horizon.
    censoring_source : str
        ``"training data"`` or ``"test data"``: where the censoring distribution came from.
    facts : dict
        What was evaluated, on how many customers, with which conventions.
    """

    _title = "Prediction metrics (IPCW, riskRegression::Score conventions)"

    def __init__(self, summary, calibration, gains, censoring_source, facts) -> None:
        self.summary = summary
        self.calibration: dict[float, Calibration] = calibration
        self.gains: dict[float, Gains] = gains
        self.censoring_source = censoring_source
        self.facts = facts

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.summary), ("settings", facts_frame(self.facts))]

    def _note(self) -> str:
        return (
            f"Censoring distribution: reverse Kaplan–Meier of the {self.censoring_source}. "
            "null_brier: 1 - KM(t) of the test data for everyone; ipa > 0 beats it."
        )


def _predictions(model_or_scores: Any, test_data: Any, h: np.ndarray, kind: str):
    """(matrix n × k, kind actually used, description)."""
    n = test_data.n
    if hasattr(model_or_scores, "predict_survival"):
        surv = model_or_scores.predict_survival(test_data.frame, times=h, conditional=False)
        name = type(model_or_scores).__name__
        return 1.0 - surv.to_numpy(dtype=float), "churn_probability", f"{name} P(churn <= t)"
    arr = np.asarray(model_or_scores, dtype=float)
    if kind == "auto":
        kind = (
            "score"
            if arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)
            else "churn_probability"
        )
    mat = np.array(as_risk_matrix(arr, n, h.size, name="predictions"))
    if kind == "survival":
        mat = 1.0 - mat
    if kind != "score" and ((mat < 0) | (mat > 1)).any():
        raise DataValidationError(
            f"predictions: values outside [0, 1] cannot be {kind.replace('_', ' ')}; pass "
            "kind='score' for scores.",
            column="predictions",
            rule="not a probability",
        )
    label = {"score": "scores", "survival": "survival probabilities S(t)"}
    return (
        mat,
        ("score" if kind == "score" else "churn_probability"),
        label.get(kind, "P(churn <= t)"),
    )


def evaluate(
    model_or_scores: Any,
    test_data: Any,
    times: ArrayLike,
    *,
    train_data: Any = None,
    kind: str = "auto",
    n_groups: int = 10,
    conf_level: float = 0.95,
) -> Evaluation:
    """How good a churn prediction is on test customers: AUC(t), Brier(t) with the KM null
    model, integrated Brier, calibration (ICI) and gains at each horizon, in one call.

    Parameters
    ----------
    model_or_scores : fitted model or array-like
        A fitted churnsurv model (``CoxModel``, ``WeibullAFT``, ...; its ``predict_survival``
        from signup is used), or predictions for ``test_data``'s rows from any other model:
        one score per customer (higher = churn sooner; AUC and gains only), or an
        ``n × len(times)`` matrix of P(churn <= t) (or of S(t) with ``kind="survival"``).
    test_data : ChurnData
        Customers to evaluate (from :func:`churnsurv.prepare`), without entry times.
    times : array-like
        Increasing horizons in the data's ``time_unit``, before its last observed tenure.
    train_data : ChurnData, optional
        When given, the censoring distribution is estimated from it (as scikit-survival
        does); otherwise from ``test_data`` (as riskRegression::Score does). The result says
        which.
    kind : {"auto", "churn_probability", "survival", "score"}
        What an array holds; ``"auto"``: 1-D = scores, 2-D = P(churn <= t).
    n_groups : int, default 10
        Risk groups of the calibration table.
    conf_level : float, default 0.95
        Level of the confidence intervals (``*_ci_lower``, ``*_ci_upper``).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes", time_unit="month")
    >>> train, test = data.take(range(0, data.n, 2)), data.take(range(1, data.n, 2))
    >>> cox = cs.CoxModel("Contract + MonthlyCharges").fit(train)
    >>> ev = evaluate(cox, test, times=[6, 12, 24], train_data=train)
    >>> ev.summary[["time", "auc", "brier", "null_brier"]].round(3).values.tolist()
    [[6.0, 0.828, 0.089, 0.102], [12.0, 0.845, 0.107, 0.132], [24.0, 0.88, 0.116, 0.165]]
    >>> ev.censoring_source
    'training data'
    """
    check_choice("kind", kind, _KINDS)
    conf = check_conf_level(conf_level)
    if getattr(test_data, "has_entry", False):
        raise DataValidationError(
            "test_data has entry times (left truncation); the IPCW metrics here assume every "
            "customer is followed from signup. Evaluate customers observed from signup, or use "
            "an out-of-time backtest.",
            column="entry",
            rule="left truncation",
        )
    time, event = check_survival_outcome(test_data.durations, test_data.events)
    h = check_horizons(times, time)
    pred, used, described = _predictions(model_or_scores, test_data, h, kind)
    pred = np.array(as_risk_matrix(pred, time.size, h.size, name="predictions"))
    if train_data is not None:
        g = censoring_survival(train_data.durations, train_data.events, source="training data")
    else:
        g = censoring_survival(time, event, source="test data")
    fixed = train_data is not None
    out = _discrimination(time, event, pred, h, g, conf, fixed)
    cals: dict[float, Calibration] = {}
    if used == "churn_probability":
        brier, cals = _probability_metrics(time, event, pred, h, g, conf, fixed, n_groups)
        out = pd.concat([out, brier], axis=1)
    else:
        for col in _PROBABILITY_COLUMNS:
            out[col] = np.nan
    gs = _gains(time, event, pred, h, g, out["n_cases"].to_numpy())
    out["top_decile_lift"] = [gs[float(t)].top_decile_lift if float(t) in gs else np.nan for t in h]
    out.attrs["conf_level"] = conf
    facts = _facts(described, time, event, g, getattr(test_data, "time_unit", ""), fixed, conf)
    return Evaluation(out, cals, gs, g.source, facts)


def _gains(time, event, pred, h, g, n_cases) -> dict[float, Gains]:
    """Gains tables at the horizons with at least one case."""
    return {
        float(t): gains(time, event, pred[:, k], float(t), censoring=g)
        for k, t in enumerate(h)
        if n_cases[k] > 0
    }


def _facts(described, time, event, g, time_unit, fixed, conf) -> dict[str, Any]:
    """What was evaluated, on how many customers, with which conventions."""
    return {
        "predictions": described,
        "test customers": time.size,
        "test churns": int(event.sum()),
        "censoring distribution": f"reverse Kaplan–Meier of the {g.source} (n = {g.n})",
        "time unit": time_unit,
        "conventions": "cases T <= t weight 1/G(T-), controls T > t weight 1/G(t); ties 1/2",
        "standard errors": (
            "Harrell's C: R concordance()'s infinitesimal jackknife; AUC, Brier: "
            "riskRegression::Score influence functions"
            + (", G from training data taken as fixed" if fixed else ", including G's estimation")
            + f"; intervals at {conf:g}"
        ),
    }


_PROBABILITY_COLUMNS = (
    "brier",
    "brier_std_err",
    "brier_ci_lower",
    "brier_ci_upper",
    "null_brier",
    "null_brier_std_err",
    "ipa",
    "ibs",
    "null_ibs",
    "ici",
    "e50",
    "e90",
)


def _discrimination(time, event, pred, h, g, conf, fixed) -> pd.DataFrame:
    """Per horizon: cases, controls, AUC with SE / CI, Harrell's C with SE / CI, Uno's C."""
    a = auc_values(time, event, pred, h, g, conf_level=conf, censoring_fixed=fixed)
    out = pd.DataFrame(
        {
            "time": h,
            "n_cases": a["n_cases"],
            "n_controls": a["n_controls"],
            "auc": a["auc"],
            "auc_std_err": a["std_err"],
            "auc_ci_lower": a["ci_lower"],
            "auc_ci_upper": a["ci_upper"],
        }
    )
    harrell = [harrell_c(time, event, pred[:, k]) for k in range(h.size)]
    out["harrell_c"] = [c.concordance for c in harrell]
    out["harrell_c_std_err"] = [c.std_err for c in harrell]
    ci = np.array([c.confidence_interval(conf) for c in harrell]).reshape(-1, 2)
    out["harrell_c_ci_lower"], out["harrell_c_ci_upper"] = ci[:, 0], ci[:, 1]
    out["uno_c"] = [
        uno_c(time, event, pred[:, k], tau=float(t))["concordance"] for k, t in enumerate(h)
    ]
    return out


def _probability_metrics(time, event, pred, h, g, conf, fixed, n_groups):
    """Per horizon: Brier with SE / CI, the KM null model, IPA, IBS and calibration indices."""
    b = brier_values(time, event, pred, h, g, conf_level=conf, censoring_fixed=fixed)
    out = pd.DataFrame(
        {
            "brier": b["brier"],
            "brier_std_err": b["std_err"],
            "brier_ci_lower": b["ci_lower"],
            "brier_ci_upper": b["ci_upper"],
            "null_brier": b["null_brier"],
            "null_brier_std_err": b["null_std_err"],
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ipa"] = np.where(out["null_brier"] > 0, 1 - out["brier"] / out["null_brier"], np.nan)
    out["ibs"] = integrate_steps(h, b["brier"])
    out["null_ibs"] = integrate_steps(h, b["null_brier"])
    cals: dict[float, Calibration] = {}
    for k, t in enumerate(h):
        p = np.clip(pred[:, k], 1e-12, 1 - 1e-12)
        cals[float(t)] = calibration(time, event, p, float(t), n_groups=n_groups)
    for col, key in (("ici", "ICI"), ("e50", "E50"), ("e90", "E90")):
        out[col] = [cals[float(t)].indices[key] for t in h]
    return out, cals
