"""What is a customer worth? Survival CLV, residual CLV, value at risk, and the BTYD models.

:mod:`~churnsurv.clv.survival_clv` (``clv``), :mod:`~churnsurv.clv.value_at_risk`
(``value_at_risk``), :mod:`~churnsurv.clv.discount`
(the one discount rule) and :mod:`~churnsurv.clv.btyd` (sBG, BG/NBD, Gamma-Gamma).
"""

from churnsurv.clv.btyd import BetaGeoNBD, GammaGamma, ShiftedBetaGeometric, customer_lifetime_value
from churnsurv.clv.discount import discount_factors
from churnsurv.clv.survival_clv import CLVResult, clv
from churnsurv.clv.value_at_risk import ValueAtRisk, value_at_risk

__all__ = [
    "BetaGeoNBD",
    "CLVResult",
    "GammaGamma",
    "ShiftedBetaGeometric",
    "ValueAtRisk",
    "clv",
    "customer_lifetime_value",
    "discount_factors",
    "value_at_risk",
]
