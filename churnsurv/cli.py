"""Command line interface: ``churnsurv demo``.

Only the console script imports this module.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
import pandas as pd


def _demo() -> int:
    """Print a short survival analysis of the bundled Telco data."""
    from lifelines import KaplanMeierFitter

    import churnsurv as cs

    data = cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        time_unit="month",
        segments="Contract",
        margin="MonthlyCharges",
    )
    lines = ["churnsurv demo: IBM Telco customer churn (a fictional company, 7,043 customers)", ""]
    lines += [repr(data), "", "Kaplan-Meier retention by contract type:"]
    rows = []
    for contract, frame in data.frame.groupby("Contract", observed=True):
        kmf = KaplanMeierFitter().fit(frame["duration"], frame["event"])
        surv = kmf.survival_function_at_times([12, 24, 60]).to_numpy()
        median = kmf.median_survival_time_
        rows.append(
            {
                "contract": contract,
                "customers": len(frame),
                "churned": int(frame["event"].sum()),
                "median tenure (months)": median if np.isfinite(median) else "not reached",
                "S(12)": round(surv[0], 3),
                "S(24)": round(surv[1], 3),
                "S(60)": round(surv[2], 3),
            }
        )
    with pd.option_context("display.width", 120):
        lines.append(pd.DataFrame(rows).to_string(index=False))
    lines += [
        "",
        "Naive churn share (churned / customers) ignores how long each was observed;",
        "the Kaplan-Meier retention above accounts for censoring. See notebooks/.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``churnsurv`` console script.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(
        prog="churnsurv", description="Survival analysis of customer churn and CLV."
    )
    from churnsurv import __version__

    parser.add_argument("--version", action="version", version=f"churnsurv {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="print a survival analysis of the bundled Telco data")
    args = parser.parse_args(argv)
    if args.command == "demo":
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return _demo()
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
