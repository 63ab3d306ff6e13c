"""Uno's concordance against R survival::concordance(..., timewt = "n/G2", ymax = tau).

Expected numbers: tests/reference/concordance.json (lung, formula block) and
tests/reference/riskregression_score.json (concordance$uno of the sim and Telco test halves;
the committed risks at the last horizon rank customers as the linear predictor does).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.metrics.uno import uno_c
from tests.metrics._reference import REF, score_json, sim_test, telco_test

COUNTS = {
    "concordant": "concordant",
    "discordant": "discordant",
    "tied.x": "tied_x",
    "tied.y": "tied_y",
    "tied.xy": "tied_xy",
}


@pytest.mark.parametrize("tau", [None, 365])
def test_lung_matches_r_concordance_n_g2(tau):
    lung = pd.read_csv(REF / "concordance_lung_lp.csv")
    key = "timewt=n/G2" + ("" if tau is None else ",ymax=365")
    ref = json.loads((REF / "concordance.json").read_text())["formula"][key]
    res = uno_c(lung["time"], lung["status"] == 2, lung["lp"], tau=tau)
    # e.g. 0.5960454948069596 (no ymax), 0.5993192461807386 (ymax = 365)
    assert res["concordance"] == pytest.approx(ref["concordance"], abs=1e-14)
    for r_name, name in COUNTS.items():
        assert res[name] == pytest.approx(ref["count"][r_name], rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize("which", ["sim", "telco"])
def test_score_halves_match_r(which):
    # Telco: whole months, tied.y 28149.77 and tied.xy 53.52 in R's counts
    time, status, risk, times = {"sim": sim_test, "telco": telco_test}[which]()
    ref = score_json()[which]["concordance"]["uno"]
    res = uno_c(time, status, risk[:, -1], tau=max(times))
    assert res["concordance"] == pytest.approx(ref["concordance"], abs=1e-13)
    for r_name, name in COUNTS.items():
        assert res[name] == pytest.approx(ref["count"][r_name], rel=1e-12, abs=1e-9), name


def test_no_censoring_without_ties_is_harrell():
    rng = np.random.default_rng(0)
    t = rng.exponential(size=300)
    x = -t + rng.normal(size=300)
    res = uno_c(t, np.ones(300), x)
    pairs = sum(np.sum(x[i] > x[t > t[i]]) for i in range(300))
    assert res["concordance"] == pytest.approx(pairs / (300 * 299 / 2), abs=1e-15)
    with pytest.raises(cs.DataValidationError, match="score"):
        uno_c(t, np.ones(300), x[:5])
