"""The settings of a fit, in scikit-learn's vocabulary."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gmm_studio.core.covariance import COVARIANCE_TYPES
from gmm_studio.core.errors import FitError
from gmm_studio.core.initialization import INIT_METHODS


def check_n_init(n_init) -> int:
    """Return ``n_init`` if it is a whole number ≥ 1, else raise FitError."""
    if isinstance(n_init, bool) or not isinstance(n_init, int | np.integer) or n_init < 1:
        raise FitError(f"n_init must be a whole number ≥ 1, not {n_init!r}")
    return int(n_init)


@dataclass(frozen=True)
class FitSettings:
    """Everything that decides a fit except the data; the one place settings are checked.

    Parameters
    ----------
    n_components : int
    covariance_type : {"full", "tied", "diag", "spherical"}
    init : {"random-points", "kmeans++", "kmeans"}
        scikit-learn calls this ``init_params``.
    tol : float
        Stop when the mean per-sample log-likelihood changes by less than this.
    max_iter : int
    reg_covar : float
    seed : int or None
    n_init : int
        How many starts to run, keeping the best by log-likelihood (start 0 uses ``seed``;
        see :mod:`gmm_studio.core.restarts`).
    standardize : bool
        Fit on z-scored columns (each column's weighted mean and standard deviation), while
        every parameter and log-likelihood is reported in the original units
        (:mod:`gmm_studio.core.standardize`). ``reg_covar`` then applies to the z-scores.
    """

    n_components: int = 3
    covariance_type: str = "full"
    init: str = "kmeans++"
    tol: float = 1e-6
    max_iter: int = 1000
    reg_covar: float = 1e-6
    seed: int | None = 0
    n_init: int = 1
    standardize: bool = False

    def __post_init__(self):
        for name in (
            "n_components",
            "max_iter",
            "seed",
            "n_init",
        ):  # numpy's integers are whole numbers
            value = getattr(self, name)
            if isinstance(value, np.integer):
                object.__setattr__(self, name, int(value))

        def whole(value, low):
            return isinstance(value, int) and not isinstance(value, bool) and value >= low

        def number(value):
            return (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value >= 0
            )

        problems = []
        if not whole(self.n_components, 1):
            problems.append(f"n_components must be a whole number ≥ 1, not {self.n_components!r}")
        if self.covariance_type not in COVARIANCE_TYPES:
            problems.append(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}")
        if self.init not in INIT_METHODS:
            problems.append(f"init must be one of {', '.join(INIT_METHODS)}")
        if not number(self.tol):
            problems.append(f"tol must be a number ≥ 0, not {self.tol!r}")
        if not whole(self.max_iter, 0):
            problems.append(f"max_iter must be a whole number ≥ 0, not {self.max_iter!r}")
        if not number(self.reg_covar):
            problems.append(f"reg_covar must be a number ≥ 0, not {self.reg_covar!r}")
        if self.seed is not None and not whole(self.seed, 0):
            problems.append(f"seed must be a whole number ≥ 0 or empty, not {self.seed!r}")
        if not isinstance(self.standardize, bool | np.bool_):
            problems.append(f"standardize must be true or false, not {self.standardize!r}")
        else:
            object.__setattr__(self, "standardize", bool(self.standardize))
        try:
            check_n_init(self.n_init)
        except FitError as error:
            problems.append(str(error))
        if problems:
            raise FitError("; ".join(problems))

    def fit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of one start, for :func:`gmm_studio.core.fit` and
        :func:`gmm_studio.core.run.em_steps` (``n_components`` included, ``n_init`` not)."""
        kwargs = dataclasses.asdict(self)
        del kwargs["n_init"]
        return kwargs

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for JSON."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FitSettings:
        """Settings from :meth:`to_dict` output; unknown keys are ignored, missing ones default.

        Raises
        ------
        FitError
            If a value is out of range or of the wrong kind.
        """
        if not isinstance(data, dict):
            raise FitError("settings must be a mapping of names to values")
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    def replace(self, **changes) -> FitSettings:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)
