"""The Cox proportional-hazards model: front end, engines, diagnostics and prediction."""

from churnsurv.regression.cox.model import CoxModel

__all__ = ["CoxModel"]
