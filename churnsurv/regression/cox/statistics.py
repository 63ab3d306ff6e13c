"""Fit statistics and tables of a fitted Cox model (private).

The likelihood-ratio, Wald and score tests against the null model, Harrell's concordance, and
the LaTeX table of :meth:`churnsurv.CoxModel.to_latex`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv.metrics.concordance import harrell_c
from churnsurv.regression.cox.fitted import CoxFit

__all__ = ["fit_statistics", "latex_table"]


def fit_statistics(fit: CoxFit, cov: np.ndarray) -> pd.DataFrame:
    """n, events, log-likelihood, LR / Wald / score tests and concordance (``value``, ``df``,
    ``p_value``).

    The concordance is Harrell's C of the linear predictor on the training data with R
    ``concordance(fit)``'s conventions (:func:`churnsurv.metrics.harrell_c`): pairs are formed
    within strata, a pair counts ``w_i * w_j`` with case weights, a churn at ``t`` is compared
    with the rows at risk at ``t`` (with entry times or a panel: ``entry < t <= exit``, R's
    counting-process concordance), a censoring tied with a churn is comparable, two churns at the
    same time are not, and tied predictions count one half.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> cox = cs.CoxModel("Contract").fit(data)
    >>> st = fit_statistics(cox.fit_state_, cox.variance_matrix_.to_numpy())
    >>> round(float(st.loc["likelihood-ratio test", "df"]))
    2
    """
    train = fit.train
    beta = fit.beta
    p = len(beta)
    ll, _, _ = train.risk_sets().evaluate(beta)
    ll0, u0, h0 = train.risk_sets().evaluate(np.zeros(p))
    lr = 2 * (ll - ll0)
    wald = float(beta @ np.linalg.solve(cov, beta))
    score = float(u0 @ np.linalg.solve(-h0, u0))
    conc = harrell_c(
        train.time,
        train.event,
        train.linear_predictor(beta),
        weights=train.w,
        strata=train.strata,
        entry=train.entry,
    ).concordance
    rows = {
        "n": (len(train.time), np.nan, np.nan),
        "events": (int(train.event.sum()), np.nan, np.nan),
        "log-likelihood": (ll, np.nan, np.nan),
        "likelihood-ratio test": (lr, p, stats.chi2.sf(lr, p)),
        "Wald test": (wald, p, stats.chi2.sf(wald, p)),
        "score test": (score, p, stats.chi2.sf(score, p)),
        "concordance": (conc, np.nan, np.nan),
    }
    return pd.DataFrame(rows, index=["value", "df", "p_value"]).T


def latex_table(
    summary: pd.DataFrame, n: int, n_events: int, concordance: float, conf_level: float
) -> str:
    r"""A LaTeX ``tabular`` of the per-term summary (HR with CI, SE of log-HR, p).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"label": ["x_1"], "hr": [2.0], "hr_lower": [1.5], "hr_upper": [2.5],
    ...                   "std_err": [0.1], "p_value": [0.0001]})
    >>> print(latex_table(s, 100, 40, 0.7, 0.95).splitlines()[4])
    x\_1 & 2.000 & [1.500, 2.500] & 0.1000 & <0.001 \\
    """
    pct = round(100 * conf_level)
    lines = [
        "\\begin{tabular}{lrrrr}",
        "\\hline",
        f"Term & HR & {pct}\\% CI & SE(log HR) & p \\\\",
        "\\hline",
    ]
    for _, r in summary.iterrows():
        label = r["label"].replace("_", "\\_").replace("&", "\\&").replace("%", "\\%")
        p = "<0.001" if r["p_value"] < 0.001 else f"{r['p_value']:.3f}"
        lines.append(
            f"{label} & {r['hr']:.3f} & [{r['hr_lower']:.3f}, {r['hr_upper']:.3f}]"
            f" & {r['std_err']:.4f} & {p} \\\\"
        )
    lines += [
        "\\hline",
        f"\\multicolumn{{5}}{{l}}{{n = {n}, events = {n_events}, "
        f"concordance = {concordance:.3f}}} \\\\",
        "\\hline",
        "\\end{tabular}",
    ]
    return "\n".join(lines)
