"""Data shared by the engine tests."""

import json
import pathlib

import numpy as np
import pytest

from gmm_studio.core import blockwise

HERE = pathlib.Path(__file__).resolve().parent
SAMPLES = HERE.parent.parent / "gmm_studio" / "samples"


@pytest.fixture(autouse=True)
def engine_thread_defaults():
    """Each engine test sees the engine's own threading rule: a window made by a GUI test in
    the same process asks for a frame's work per thread (``gui.app.ensure_application``)."""
    blockwise.set_least_thread_work(0.0)
    yield
    blockwise.set_least_thread_work(0.0)


def load_sample(name: str) -> np.ndarray:
    return np.loadtxt(SAMPLES / name, delimiter=",", skiprows=1)


@pytest.fixture(scope="session")
def seed_example() -> np.ndarray:
    """The notebook's own 100 points."""
    return load_sample("seed_example.csv")


@pytest.fixture(scope="session")
def old_faithful() -> np.ndarray:
    """Old Faithful eruptions: duration and waiting time, 272 rows."""
    return load_sample("old_faithful.csv")


@pytest.fixture(scope="session")
def golden() -> dict:
    """The notebook's run on its own data, with corrected log-likelihoods."""
    return json.loads((HERE / "seed_example_golden.json").read_text())
