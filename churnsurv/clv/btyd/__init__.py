"""'Buy till you die' models: sBG for contractual cohorts, BG/NBD + Gamma-Gamma for buyers."""

from churnsurv.clv.btyd.bgnbd import BetaGeoNBD, customer_lifetime_value
from churnsurv.clv.btyd.gamma_gamma import GammaGamma
from churnsurv.clv.btyd.sbg import ShiftedBetaGeometric

__all__ = ["BetaGeoNBD", "GammaGamma", "ShiftedBetaGeometric", "customer_lifetime_value"]
