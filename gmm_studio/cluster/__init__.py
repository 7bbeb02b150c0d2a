"""EM on a Dask cluster: the same fit as in memory, each iteration one reduction over chunks.

Dask is an optional extra (``pip install "gmm-studio[dask]"``). This package imports it when
the package itself is imported, and says which extra to install when it is missing;
:mod:`gmm_studio.core` never imports it.

:func:`gmm_studio.core.fit` and :func:`gmm_studio.core.em_steps` take a Dask array and run
here (they are also this package's ``fit`` and ``em_steps``); :func:`fit_starts` runs
``n_init`` starts with the in-memory seeds.

>>> from gmm_studio.cluster import fit
>>> from gmm_studio.cluster.lazy_files import read_lazy
>>> table = read_lazy("points-*.csv", columns=["x", "y"])  # doctest: +SKIP
>>> result = fit(table.data, 8, sample_weight=table.sample_weight, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

DASK_EXTRA = "gmm-studio[dask]"


class DaskMissingError(ImportError):
    """Dask (or a part of it) is not installed; the message names the extra to install."""


def _require_dask() -> None:
    try:
        import dask.array
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as error:
        raise DaskMissingError(
            f"fitting on Dask needs the optional dependencies of {DASK_EXTRA} "
            f'({error.name or "dask"} is missing): pip install "{DASK_EXTRA}"'
        ) from None


_require_dask()

from gmm_studio.cluster.em import fit_starts  # noqa: E402
from gmm_studio.core.run import em_steps, fit  # noqa: E402

__all__ = ["DASK_EXTRA", "DaskMissingError", "em_steps", "fit", "fit_starts"]
