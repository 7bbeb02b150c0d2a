"""Data shared by the engine tests."""

import json
import pathlib

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
SAMPLES = HERE.parent.parent / "gmm_studio" / "samples"


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
