"""Load the committed riskRegression::Score reference (tests/reference/riskregression_score.*)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(__file__).resolve().parents[1] / "reference"
ROOT = REF.parents[1]


def score_json() -> dict:
    return json.loads((REF / "riskregression_score.json").read_text())


def sim_test() -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Test half of the seeded simulation: time, status, predicted risks (n × times), times."""
    data = pd.read_csv(REF / "riskregression_sim_data.csv")
    test = data[data["train"] == 0].set_index("id")
    pred = pd.read_csv(REF / "riskregression_sim_pred.csv").set_index("id")
    test = test.loc[pred.index]
    times = score_json()["sim"]["times"]
    return test["time"].to_numpy(), test["status"].to_numpy(), pred.to_numpy(), times


def telco_test() -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Even data rows of Telco (the Score test half): tenure, churn, predicted risks, times."""
    telco = pd.read_csv(ROOT / "datasets" / "telco" / "Telco-Customer-Churn.csv")
    telco["row"] = np.arange(1, len(telco) + 1)
    pred = pd.read_csv(REF / "riskregression_telco_pred.csv").set_index("row")
    test = telco.set_index("row").loc[pred.index]
    times = score_json()["telco"]["times"]
    churn = (test["Churn"] == "Yes").astype(int).to_numpy()
    return test["tenure"].to_numpy(float), churn, pred.to_numpy(), times


def scored(which: str, metric: str, model: str, field: str) -> np.ndarray:
    block = score_json()[which][metric]
    keep = np.array(block["model"]) == model
    return np.asarray(block[field], dtype=float)[keep]
