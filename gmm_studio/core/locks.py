"""Parameters the M-step holds fixed, per component: a mean, a covariance, a weight."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gmm_studio.core.errors import FitError

_KINDS = ("mean", "covariance", "weight")


@dataclass(frozen=True)
class Locks:
    """Which parameters of each component EM leaves as they are.

    The M-step maximises the expected log-likelihood over the free parameters only: a free
    covariance is taken about its component's (possibly locked) mean, and the free weights
    share what the locked weights leave, in proportion to their responsibilities. So the
    log-likelihood still never decreases. With ``covariance_type="tied"`` the one shared
    covariance is locked when any component's covariance is.

    Parameters
    ----------
    mean, covariance, weight : tuple of bool
        One flag per component; True holds that parameter fixed.
    """

    mean: tuple[bool, ...]
    covariance: tuple[bool, ...]
    weight: tuple[bool, ...]

    def __post_init__(self):
        for kind in _KINDS:
            flags = tuple(bool(v) for v in getattr(self, kind))
            object.__setattr__(self, kind, flags)
        if not len(self.mean) == len(self.covariance) == len(self.weight):
            raise FitError("locks need one mean, covariance and weight flag per component")

    @classmethod
    def none(cls, n_components: int) -> Locks:
        """No parameter locked."""
        free = (False,) * n_components
        return cls(free, free, free)

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return len(self.mean)

    @property
    def any(self) -> bool:
        """True when at least one parameter is locked."""
        return any(self.mean) or any(self.covariance) or any(self.weight)

    def with_lock(self, component: int, kind: str, locked: bool = True) -> Locks:
        """A copy with one parameter of one component locked (or freed).

        Parameters
        ----------
        component : int
        kind : {"mean", "covariance", "weight"}
        locked : bool
        """
        if kind not in _KINDS:
            raise FitError(f"a lock is on a mean, a covariance or a weight, not {kind!r}")
        if not 0 <= component < self.n_components:
            raise FitError(f"there is no component {component + 1} to lock")
        flags = list(getattr(self, kind))
        flags[component] = bool(locked)
        changed = {k: getattr(self, k) for k in _KINDS}
        changed[kind] = tuple(flags)
        return Locks(**changed)

    def array(self, kind: str) -> np.ndarray:
        """The flags of one kind as a boolean array of shape (K,)."""
        return np.array(getattr(self, kind), dtype=bool)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for JSON."""
        return {kind: list(getattr(self, kind)) for kind in _KINDS}

    @classmethod
    def from_dict(cls, data: Any, n_components: int) -> Locks:
        """Locks from :meth:`to_dict` output, checked against ``n_components``.

        Raises
        ------
        FitError
            If the flags are not lists of K booleans.
        """
        if not isinstance(data, dict):
            raise FitError("locks must be a mapping of 'mean', 'covariance', 'weight' to flags")
        flags = {}
        for kind in _KINDS:
            value = data.get(kind, [False] * n_components)
            if not (
                isinstance(value, list)
                and len(value) == n_components
                and all(isinstance(v, bool) for v in value)
            ):
                raise FitError(f"locks: '{kind}' must be a list of {n_components} true/false flags")
            flags[kind] = tuple(value)
        return cls(**flags)
