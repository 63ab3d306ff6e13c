"""Fine–Gray and cause-specific Cox models of churn reasons, against R and simulation truth.

References: ``tests/reference/cuminc.R`` → ``cuminc.json`` (survival::finegray + coxph and
cmprsk::crr on 300 rows, two causes) and ``tests/reference/cuminc_extra.R`` →
``cuminc_extra.json`` (whole-month times: finegray + coxph + survfit predictions, crr +
predict.crr, riskRegression::CSC + predictRisk); seeded simulations with known cause-specific
hazards (:func:`churnsurv.simulate_customers` with ``reason_effects`` / ``reason_shapes``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv import DataValidationError

REF = Path(__file__).parents[1] / "reference"


def _load(name: str) -> tuple[dict, cs.ChurnData]:
    ref = json.loads((REF / f"{name}.json").read_text())
    raw = pd.read_csv(REF / f"{name}_data.csv").drop(columns="entry", errors="ignore")
    raw["why"] = raw["fstatus"].map({0: None, 1: "1", 2: "2", 3: "3"})
    return ref, cs.prepare(raw, id="id", duration="ftime", reason="why")


def _values(block) -> np.ndarray:
    return np.array(list(block.values()) if isinstance(block, dict) else block, dtype=float)


@pytest.mark.parametrize("cause", ["1", "2"])
def test_fine_gray_matches_finegray_coxph(cause):
    ref, data = _load("cuminc")
    r = ref["finegray_coxph"][f"cause{cause}__breslow"]
    assert len(cs.finegray_data(data, cause)) == r["n_expanded_rows"]
    fg = cs.FineGray("group + x").fit(data, reason=cause)
    np.testing.assert_allclose(fg.params_, _values(r["coef"]), rtol=0, atol=1e-7)
    np.testing.assert_allclose(fg.summary["std_err"], _values(r["robust_se"]), rtol=1e-7)
    loglik = fg.cox_.fit_statistics.loc["log-likelihood", "value"]
    assert loglik == pytest.approx(r["loglik"], abs=1e-9)
    # model-based SEs with Fine-Gray weights are not valid SEs: the Cox model says so
    with pytest.warns(cs.AssumptionWarning, match="not whole numbers"):
        naive = cs.FineGray("group + x", robust=False).fit(data, reason=cause)
    np.testing.assert_allclose(naive.summary["std_err"], _values(r["naive_se"]), rtol=1e-7)
    assert fg.n_events_ == ref["data"]["counts"][f"cause{cause}"]
    assert fg.summary.attrs["hazard"] == "subdistribution"


@pytest.mark.parametrize("cause", ["1", "2"])
def test_fine_gray_with_crr_ties_matches_cmprsk_crr(cause):
    ref, data = _load("cuminc")
    c = ref["crr"][f"failcode{cause}"]
    fg = cs.FineGray("group + x", censoring_ties="crr").fit(data, reason=cause)
    # crr stops at gtol = 1e-6: its coefficients are accurate to about that
    np.testing.assert_allclose(fg.params_, _values(c["coef"]), rtol=0, atol=1e-5)
    # crr's sandwich also carries the estimated censoring weights' noise: close, not equal
    np.testing.assert_allclose(fg.summary["std_err"], _values(c["se"]), rtol=2e-3)
    # with R survival's tie convention the coefficients move by ~1e-4 on these tied times
    default = cs.FineGray("group + x").fit(data, reason=cause)
    diff = np.abs(default.params_.to_numpy() - _values(c["coef"])).max()
    assert diff == pytest.approx(
        ref["finegray_coxph"][f"cause{cause}__breslow"]["max_abs_coef_diff_vs_crr"], abs=1e-6
    )


def test_fine_gray_predictions_match_survfit_and_predict_crr():
    ref, data = _load("cuminc_extra")
    new = pd.DataFrame(ref["newdata"])
    r = ref["finegray"]
    fg = cs.FineGray("seg + x").fit(data, reason="1")
    assert len(cs.finegray_data(data, "1")) == r["n_expanded_rows"]
    np.testing.assert_allclose(fg.params_, _values(r["coef"]), atol=1e-8)
    np.testing.assert_allclose(fg.summary["std_err"], _values(r["robust_se"]), rtol=1e-7)
    pred = fg.predict_cumulative_incidence(new, ref["times"])
    np.testing.assert_allclose(pred.to_numpy(), np.array(r["predicted_cif"]).T, atol=1e-10)
    crr = cs.FineGray("seg + x", censoring_ties="crr").fit(data, reason="1")
    np.testing.assert_allclose(crr.params_, _values(ref["crr"]["coef"]), atol=1e-5)
    pred = crr.predict_cumulative_incidence(new, ref["times"])
    np.testing.assert_allclose(pred.to_numpy(), np.array(ref["crr"]["predicted_cif"]).T, atol=1e-6)


def test_cause_specific_cox_matches_riskregression_csc():
    ref, data = _load("cuminc_extra")
    new = pd.DataFrame(ref["newdata"])
    efron = cs.CauseSpecificCox("seg + x", ties="efron").fit(data)
    for k, reason in enumerate(["1", "2", "3"], start=1):
        np.testing.assert_allclose(
            efron.params_.loc[reason], _values(ref["csc"]["coef"][f"Cause {k}"]), atol=1e-8
        )
    csc = cs.CauseSpecificCox("seg + x").fit(data)  # Breslow: R's predictions exactly
    pred = csc.predict_cumulative_incidence(new, ref["times"], reason="1")
    np.testing.assert_allclose(pred.to_numpy(), ref["csc"]["predicted_cif_breslow"], atol=1e-10)
    every = csc.predict_cumulative_incidence(new, ref["times"])
    assert every.index.names == ["reason", "id"] or every.index.nlevels == 2
    total = every.groupby(level=1).sum()
    assert np.all((total.to_numpy() > 0) & (total.to_numpy() < 1))
    assert "cause-specific" in str(csc) and "<table" in csc._repr_html_()


def test_finegray_data_by_hand():
    # censorings at 3 and 5; G(3) = 2/3 (3 at risk: t > 3 plus the censoring), G(5) = 0.
    # The card churn at 2 stays in the risk set for price: weight 1 up to 3, then 2/3 on (3, 5].
    raw = pd.DataFrame({"t": [1, 2, 3, 4, 5], "why": ["price", "card", None, "price", None]})
    d = cs.prepare(raw, duration="t", reason="why")
    fg = cs.finegray_data(d, "price")
    assert fg[["fg_start", "fg_stop"]].values.tolist() == [
        [0, 1],
        [0, 3],
        [3, 5],
        [0, 3],
        [0, 4],
        [0, 5],
    ]
    np.testing.assert_allclose(fg["fg_weight"], [1, 1, 2 / 3, 1, 1, 1])
    assert fg["fg_event"].tolist() == [True, False, False, False, True, False]
    # a tenure of 0 moves the start to -1, as R does
    raw.loc[2, "t"] = 0
    assert (
        cs.finegray_data(cs.prepare(raw, duration="t", reason="why"), "price")["fg_start"].min()
        == -1
    )


def test_argument_rules():
    _, data = _load("cuminc")
    with pytest.raises(DataValidationError, match="not one of"):
        cs.FineGray("x").fit(data, reason="moved")
    with pytest.raises(DataValidationError, match="censoring_ties"):
        cs.FineGray("x", censoring_ties="stata")
    with pytest.raises(cs.NotFittedError):
        _ = cs.FineGray("x").summary
    plain = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [1, 0]}), duration="t", event="e")
    with pytest.raises(DataValidationError, match="needs churn reasons"):
        cs.CauseSpecificCox("t").fit(plain)
    raw = pd.read_csv(REF / "cuminc_extra_data.csv")
    raw["why"] = raw["fstatus"].map({0: None, 1: "1", 2: "2", 3: "3"})
    trunc = cs.prepare(raw, duration="ftime", reason="why", entry="entry")
    with pytest.raises(DataValidationError, match="entry times"):
        cs.FineGray("x").fit(trunc, reason="1")


EFFECTS = {
    "price": {"plan[T.premium]": 0.8, "monthly_charges": 0.02},
    "payment_failure": {"senior": 0.7, "channel[T.store]": -0.6},
}
SHAPES = {"payment_failure": 0.6, "competitor": 1.8}
FORMULA = "plan + channel + monthly_charges + senior"


@pytest.fixture(scope="module")
def simulated():
    base = cs.simulate_customers(
        20000, rng=14, reason_effects=EFFECTS, reason_shapes=SHAPES, cutoff="2024-12-31"
    )
    data = cs.prepare(
        base.customers, id="customer_id", duration="tenure", event="churned", reason="reason"
    )
    # continuous times: no ties, Efron = Breslow (and the faster engine)
    return base, data, cs.CauseSpecificCox(FORMULA, ties="efron").fit(data)


def test_cause_specific_cox_recovers_simulated_reason_hazards(simulated):
    base, data, csc = simulated
    s = csc.summary
    for reason, spec in base.truth["reason_hazards"].items():
        truth = spec["coefficients"]
        est = s.loc[reason]
        z = (est["log_hr"] - truth.loc[est.index].to_numpy()) / est["std_err"]
        assert np.abs(z).max() < 4, (reason, z.round(2).to_dict())


def test_predicted_incidence_recovers_the_simulated_truth(simulated):
    base, data, csc = simulated
    ref = base.truth["reference"]
    customer = pd.DataFrame(
        {
            "plan": pd.Categorical([ref["plan"]], categories=["basic", "standard", "premium"]),
            "channel": pd.Categorical([ref["channel"]], categories=["online", "partner", "store"]),
            "monthly_charges": [ref["monthly_charges"]],
            "senior": [ref["senior"]],
        }
    )
    times = [6.0, 12.0, 24.0, 36.0]
    truth = base.reason_incidence(times)
    pred = csc.predict_cumulative_incidence(customer, times)
    for reason in data.reasons:
        np.testing.assert_allclose(
            pred.loc[reason].to_numpy().ravel(), truth[reason].to_numpy(), atol=0.02
        )


def test_cumulative_incidence_recovers_reasons_that_strike_at_different_tenures():
    # no covariate effects: the Aalen–Johansen curves estimate the reference truth; payment
    # failures (shape 0.6) come early, competitors (shape 1.8) late
    base = cs.simulate_customers(
        20000,
        rng=3,
        effects=dict.fromkeys(cs.data.simulate.DEFAULT_EFFECTS, 0.0),
        reason_shapes=SHAPES,
    )
    data = cs.prepare(base.customers, duration="tenure", event="churned", reason="reason")
    at = cs.CumulativeIncidence().fit(data).incidence_at([3, 12, 24, 36])
    truth = base.reason_incidence([3.0, 12.0, 24.0, 36.0])
    expected = np.array([truth.loc[t, r] for r, t in zip(at["reason"], at["time"], strict=True)])
    z = (at["incidence"].to_numpy() - expected) / at["std_err"].to_numpy()
    assert np.abs(z).max() < 4
    early = truth.loc[3.0]
    assert early["payment_failure"] > early["competitor"]
    assert truth.loc[36.0, "competitor"] > truth.loc[36.0, "payment_failure"]
