"""Probabilistic customer-base models, fitted by maximum likelihood.

A model is its parameters: build one from known values to predict at once,
or estimate one with its ``fit`` classmethod.
"""

from relmark.models._fitting import FitInfo
from relmark.models._persist import load_model, save_model
from relmark.models._report import FitReport
from relmark.models._residual import ResidualTransactionModel
from relmark.models.beta_discrete_weibull import BetaDiscreteWeibull
from relmark.models.beta_geo import BetaGeo
from relmark.models.beta_geo_beta_binom import BetaGeoBetaBinom
from relmark.models.common_mean_spend import CommonMeanSpend
from relmark.models.contracts import ContractModel, PurchaseModel, SpendModel
from relmark.models.gamma_gamma import GammaGamma
from relmark.models.modified_beta_geo import ModifiedBetaGeo
from relmark.models.nbd import NBD
from relmark.models.pareto_dynamic import DynamicHistory, DynamicParetoNBD
from relmark.models.pareto_nbd import ParetoNBD
from relmark.models.shifted_beta_geo import ShiftedBetaGeo

__all__ = [
    "BetaDiscreteWeibull",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "CommonMeanSpend",
    "ContractModel",
    "DynamicHistory",
    "DynamicParetoNBD",
    "FitInfo",
    "FitReport",
    "GammaGamma",
    "ModifiedBetaGeo",
    "NBD",
    "ParetoNBD",
    "PurchaseModel",
    "ResidualTransactionModel",
    "ShiftedBetaGeo",
    "SpendModel",
    "load_model",
    "save_model",
]
