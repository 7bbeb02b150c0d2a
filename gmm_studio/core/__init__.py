"""The EM engine: numpy and scipy only, never Qt.

>>> from gmm_studio.core import fit
>>> result = fit(X, 3, covariance_type="full", seed=0)  # doctest: +SKIP
"""

from gmm_studio.core.covariance import COVARIANCE_TYPES
from gmm_studio.core.errors import DegenerateCovarianceError, FitError
from gmm_studio.core.geometry import ellipse_points
from gmm_studio.core.initialization import INIT_METHODS, initialize
from gmm_studio.core.locks import Locks
from gmm_studio.core.mixture import Mixture
from gmm_studio.core.run import EMRun, FitResult, Phase, Snapshot, em_steps, fit
from gmm_studio.core.settings import FitSettings
from gmm_studio.core.synthetic import NOTEBOOK_MIXTURE, PRESETS, generate_mixture_data

__all__ = [
    "COVARIANCE_TYPES",
    "INIT_METHODS",
    "NOTEBOOK_MIXTURE",
    "PRESETS",
    "DegenerateCovarianceError",
    "EMRun",
    "FitError",
    "FitResult",
    "FitSettings",
    "Locks",
    "Mixture",
    "Phase",
    "Snapshot",
    "ellipse_points",
    "em_steps",
    "fit",
    "generate_mixture_data",
    "initialize",
]
