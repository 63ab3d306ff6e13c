"""Validation designs: a split by customer, k-fold cross-validation of a model specification,
and the out-of-time backtest that runs an early-warning model the way it is used.

Out-of-time backtest at a cutoff date ``c`` on dated data (``prepare(..., start_date=,
end_date=, cutoff=)``):

1. keep what was known at ``c``: customers who signed up by ``c``, tenure measured to their
   churn date or to ``c``, churn only if it happened by ``c`` (covariates as recorded — the
   table is assumed to hold values known at signup);
2. fit a fresh copy of the model on that;
3. for every customer still active at ``c``, predict ``P(churn within k | tenure reached at c)``;
4. score against what happened next in the full data: time from ``c`` to churn (or to the end
   of the data, censored), with the IPCW AUC, Brier score (and the KM null model: the
   marginal churn-within-``k`` rate of the active customers), calibration-in-the-large and
   top-decile lift at ``k``.

Rolling cutoffs give one row each.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from churnsurv._render import Result
from churnsurv._typing import ArrayLike, DateLike, Seed
from churnsurv._validation import check_count
from churnsurv.exceptions import DataValidationError
from churnsurv.metrics.brier import brier_values
from churnsurv.metrics.evaluate import evaluate
from churnsurv.metrics.gains import gains
from churnsurv.metrics.ipcw import censoring_survival, kaplan_meier_at
from churnsurv.metrics.td_auc import auc_values

__all__ = ["Backtest", "CrossValidation", "backtest", "cross_validate", "split_customers"]


def _rng(rng: Seed) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def split_customers(
    data: Any, *, test_size: float = 0.3, stratify: bool = True, rng: Seed = None
) -> tuple[Any, Any]:
    """Split customers at random into training and test data, stratified on churn.

    Parameters
    ----------
    data : ChurnData
    test_size : float, default 0.3
        Share of customers in the test data, in (0, 1).
    stratify : bool, default True
        Keep the share of churned customers equal in both parts (to within one customer).
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    (train, test) : two ChurnData

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes")
    >>> train, test = split_customers(data, test_size=0.25, rng=1)
    >>> train.n, test.n, round(train.n_events / train.n, 3), round(test.n_events / test.n, 3)
    (5282, 1761, 0.265, 0.265)
    """
    if not 0 < float(test_size) < 1:
        raise DataValidationError(
            f"test_size={test_size!r} must be between 0 and 1.", column="test_size", rule="range"
        )
    gen = _rng(rng)
    groups = [data.events, ~data.events] if stratify else [np.ones(data.n, dtype=bool)]
    test_pos = []
    for g in groups:
        pos = np.flatnonzero(g)
        test_pos.append(gen.permutation(pos)[: int(round(test_size * pos.size))])
    test = np.sort(np.concatenate(test_pos))
    train = np.setdiff1d(np.arange(data.n), test)
    return data.take(train), data.take(test)


class CrossValidation(Result):
    """Metrics of each fold (``folds``) and their mean and spread per horizon (``summary``)."""

    _title = "k-fold cross-validation (IPCW metrics on each held-out fold)"

    def __init__(self, summary: pd.DataFrame, folds: pd.DataFrame) -> None:
        self.summary = summary
        self.folds = folds


def cross_validate(
    model: Any, data: Any, times: ArrayLike, *, k: int = 5, rng: Seed = None
) -> CrossValidation:
    """k-fold cross-validation of a model specification (folds stratified on churn).

    Each fold is held out in turn; a fresh copy of ``model`` is fitted on the rest and
    evaluated on it with :func:`churnsurv.evaluate` (censoring distribution from the training
    folds).

    Parameters
    ----------
    model : unfitted churnsurv model
        E.g. ``CoxModel("Contract + MonthlyCharges")``; copied, never fitted itself.
    data : ChurnData
    times : array-like
        Horizons.
    k : int, default 5
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    CrossValidation
        ``folds``: one row per fold and horizon; ``summary``: mean and ``std_err`` (standard
        deviation over folds / sqrt(k)) of ``auc``, ``brier``, ``null_brier``, ``ipa`` per horizon.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes")
    >>> cv = cross_validate(cs.CoxModel("Contract"), data, [12], k=3, rng=1)
    >>> cv.summary["auc"].round(2).tolist()
    [0.8]
    """
    k = check_count(k, name="k", minimum=2)
    gen = _rng(rng)
    fold = np.empty(data.n, dtype=int)
    for g in (data.events, ~data.events):
        pos = gen.permutation(np.flatnonzero(g))
        fold[pos] = np.arange(pos.size) % k
    rows = []
    for f in range(k):
        train, test = data.take(np.flatnonzero(fold != f)), data.take(np.flatnonzero(fold == f))
        fitted = copy.deepcopy(model).fit(train)
        s = evaluate(fitted, test, times, train_data=train).summary
        s.insert(0, "fold", f + 1)
        rows.append(s)
    folds = pd.concat(rows, ignore_index=True)
    cols = ["auc", "brier", "null_brier", "ipa"]
    grouped = folds.groupby("time")[cols]
    summary = grouped.mean()
    se = grouped.std(ddof=1) / np.sqrt(k)
    for c in cols:
        summary[f"{c}_std_err"] = se[c]
    return CrossValidation(summary.reset_index(), folds)


class Backtest(Result):
    """Out-of-time backtest: one row per cutoff (``summary``), the scored customers (``scores``).

    Columns of ``summary``: ``cutoff``, ``n_train``, ``n_active``, ``n_scored`` (active customers
    with a prediction inside the model's support), ``churned_within`` (observed churns within
    ``k``), ``predicted_rate`` (mean prediction), ``observed_rate`` (1 - KM(k) after the cutoff),
    ``auc``, ``auc_std_err``, ``brier``, ``brier_std_err`` (riskRegression::Score's standard
    errors, :mod:`churnsurv.metrics.influence`), ``null_brier``, ``ipa``, ``top_decile_lift``.
    """

    _title = "Out-of-time backtest"

    def __init__(self, summary: pd.DataFrame, scores: pd.DataFrame, within: float) -> None:
        self.summary = summary
        self.scores = scores
        self.within = within

    def _note(self) -> str:
        return (
            f"At each cutoff the model is refitted on what was known then and scored on who "
            f"churned within {self.within:g} periods after it (IPCW, censoring from the scored "
            "customers)."
        )


def _known_at(data: Any, cut: pd.Timestamp):
    """The ChurnData of what was known at ``cut`` and the full-data exit of each row."""
    import churnsurv as cs

    frame = data.frame
    start = frame["start_date"]
    keep = (start <= cut).to_numpy()
    raw = (
        frame.loc[keep]
        .drop(columns=["duration", "event"])
        .rename(columns={"start_date": "_start", "end_date": "_end"})
    )
    if "entry" in raw.columns:
        raw = raw.drop(columns="entry")
    raw = raw.reset_index()
    id_col = raw.columns[0]
    known = cs.prepare(
        raw,
        start_date="_start",
        end_date="_end",
        cutoff=cut,
        id=id_col,
        time_unit=data.time_unit,
        margin=data.margin if isinstance(data.margin, str) else None,
    )
    return known, keep


def backtest(
    model: Any,
    data: Any,
    *,
    cutoffs: list[DateLike] | DateLike,
    within: float,
) -> Backtest:
    """Out-of-time backtest at one or more cutoff dates (see the module docstring).

    Parameters
    ----------
    model : unfitted churnsurv model
        Copied and fitted afresh at every cutoff.
    data : ChurnData
        Built from dates: ``prepare(df, start_date=, end_date=, cutoff=)`` (its cutoff is the
        end of the data).
    cutoffs : date-like or list of date-like
        Each before the end of the data by more than ``within`` periods' worth of follow-up.
    within : float
        The warning window ``k`` in the data's ``time_unit``.

    Returns
    -------
    Backtest

    Examples
    --------
    >>> import churnsurv as cs
    >>> base = cs.simulate_customers(3000, rng=7)
    >>> data = cs.prepare(base.customers, id="customer_id", start_date="signup_date",
    ...                   end_date="churn_date", cutoff=base.truth["cutoff"])
    >>> bt = backtest(cs.CoxModel("plan + channel"), data, cutoffs=["2021-06-30", "2021-12-31"],
    ...               within=6)
    >>> bt.summary[["n_active", "auc"]].round(2).values.tolist()
    [[1393.0, 0.57], [1463.0, 0.57]]
    """
    from churnsurv.data.rules import parse_cutoff

    if not getattr(data, "has_dates", False) or data.cutoff is None:
        raise DataValidationError(
            "backtest needs dated data: prepare(df, start_date=, end_date=, cutoff=).",
            column="start_date",
            rule="no dates",
        )
    k = float(within)
    if not np.isfinite(k) or k <= 0:
        raise DataValidationError(
            f"within={within!r} must be a positive number of periods.",
            column="within",
            rule="range",
        )
    cuts = [parse_cutoff(c) for c in (cutoffs if isinstance(cutoffs, list | tuple) else [cutoffs])]
    end = pd.Timestamp(data.cutoff)
    rows, scored = [], []
    for cut in cuts:
        if cut >= end:
            raise DataValidationError(
                f"cutoff {cut.date()} is not before the end of the data ({end.date()}).",
                column="cutoffs",
                rule="cutoff after data",
            )
        row, frame = _backtest_cutoff(model, data, cut, k, end)
        rows.append(row)
        scored.append(frame)
    return Backtest(pd.DataFrame(rows), pd.concat(scored), k)


def _backtest_cutoff(model: Any, data: Any, cut: pd.Timestamp, k: float, end: pd.Timestamp):
    """Fit on what was known at ``cut``, score the active customers, follow them up to ``end``:
    the summary row and the scored customers of one cutoff."""
    from churnsurv.data.units import elapsed

    known, keep = _known_at(data, cut)
    fitted = copy.deepcopy(model).fit(known)
    active = ~known.events
    act = known.frame.loc[active]
    p = fitted.predict_churn_probability(act, within=k).to_numpy(dtype=float)
    full = data.frame.loc[keep].iloc[np.flatnonzero(active)]
    exit_full = full["end_date"].where(full["event"], end)
    resid = elapsed(np.full(len(full), cut), exit_full.to_numpy(), data.time_unit)
    ev = full["event"].to_numpy(dtype=bool)
    ok = np.isfinite(p)
    t, e, q = resid[ok], ev[ok], p[ok]
    if t.size == 0 or t.max() <= k:
        raise DataValidationError(
            f"cutoff {cut.date()}: nobody is followed more than within={k:g} periods after "
            "it in the data; choose an earlier cutoff or a shorter window.",
            column="cutoffs",
            rule="horizon beyond follow-up",
        )
    row = {
        "cutoff": cut,
        "n_train": known.n,
        "n_active": int(active.sum()),
        "n_scored": int(ok.sum()),
        **_window_metrics(t, e, q, k),
    }
    frame = pd.DataFrame(
        {
            "cutoff": cut,
            "tenure_at_cutoff": act["duration"].to_numpy(),
            "p_churn_within": p,
            "time_after_cutoff": resid,
            "churned": ev,
        },
        index=act.index,
    )
    return row, frame


def _window_metrics(t: np.ndarray, e: np.ndarray, q: np.ndarray, k: float) -> dict[str, Any]:
    """Metrics of predictions ``q`` of churn within ``k`` of customers followed for ``t``."""
    g = censoring_survival(t, e, source="scored customers")
    h = np.array([k])
    a = auc_values(t, e, q[:, None], h, g)
    b = brier_values(t, e, q[:, None], h, g)
    n_case = int(a["n_cases"][0])
    model_b, null_b = float(b["brier"][0]), float(b["null_brier"][0])
    return {
        "churned_within": n_case,
        "predicted_rate": float(q.mean()),
        "observed_rate": float(1 - kaplan_meier_at(t, e, [k])[0]),
        "auc": float(a["auc"][0]),
        "auc_std_err": float(a["std_err"][0]),
        "brier": model_b,
        "brier_std_err": float(b["std_err"][0]),
        "null_brier": null_b,
        "ipa": 1 - model_b / null_b if null_b > 0 else np.nan,
        "top_decile_lift": gains(t, e, q, k, censoring=g).top_decile_lift if n_case else np.nan,
    }
