"""A real Dask cluster for the tests of each module: two single-threaded worker processes."""

import logging

import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """A client of a LocalCluster started once per test module and closed after it."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: 8787 may be taken
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
