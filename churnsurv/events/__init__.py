"""Event logs: churn defined by inactivity, and survival summaries computed in the engine.

Most businesses have activity logs (purchases, visits, logins), not a churn column, and those
logs can be far larger than memory. :func:`churn_from_events` turns a log into one row per
customer (or per episode) with an honest inactivity rule; the work runs in the engine that
holds the log, through `Ibis <https://ibis-project.org>`_: DuckDB embedded (the default,
nothing to install or start; it reads Parquet/CSV files larger than memory) or Spark (pass a
Spark DataFrame). We chose Ibis over SQLGlot-transpiled SQL or narwhals because one Python
expression with windows (lag, running sums) compiles unchanged to both engines and stays
lazy until the small result is fetched.
"""

from churnsurv.events.engine import read_events
from churnsurv.events.inactivity import churn_from_events
from churnsurv.events.result import EventChurn
from churnsurv.events.sensitivity import InactivitySensitivity, inactivity_sensitivity

__all__ = [
    "EventChurn",
    "InactivitySensitivity",
    "churn_from_events",
    "inactivity_sensitivity",
    "read_events",
]
