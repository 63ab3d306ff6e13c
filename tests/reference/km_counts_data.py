"""Write km_counts.csv: the engine counts of tests/events/test_km_counts.py's ``LOGS["months"]``.

Run from the repository root before ``Rscript tests/reference/km_counts.R``::

    PYTHONPATH=. python tests/reference/km_counts_data.py

Durations are written with Python's shortest round-trip repr (read them back with
``float_precision="round_trip"``; R's ``read.csv`` reads them exactly).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "events"))

from test_km_counts import LOGS  # noqa: E402

if __name__ == "__main__":
    counts = LOGS["months"]().counts()
    out = counts[["plan", "region", "duration", "churned", "n"]].copy()
    out["churned"] = out["churned"].astype(int)
    out.to_csv(HERE / "km_counts.csv", index=False)
    print(f"wrote {HERE / 'km_counts.csv'}: {len(out)} rows, {int(out['n'].sum())} customers")
