"""Write the win-back data sets that winback.R reads (run from the repository root).

    PYTHONPATH=. python tests/reference/winback_data.py && Rscript tests/reference/winback.R

Data: churnsurv.simulate_hotel(n=1500, rng=15): its ``returns`` (one row per churned guest) and
``episodes`` (repeated active spells) tables, written with full-precision floats.
"""

from pathlib import Path

import churnsurv as cs

HERE = Path(__file__).resolve().parent
sim = cs.simulate_hotel(n=1500, rng=15)
sim.returns.to_csv(HERE / "winback_returns.csv", index=False, float_format="%.17g")
sim.episodes.to_csv(HERE / "winback_episodes.csv", index=False, float_format="%.17g")
