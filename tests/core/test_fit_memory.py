"""The memory a fit needs is estimated, and checked against what is available, before
anything large is allocated."""

import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from gmm_studio.core import COVARIANCE_TYPES, FitError, fit
from gmm_studio.core.memory import available_memory, fit_memory_bytes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize(
    ("n", "d", "k"), [(400, 300, 3), (50, 600, 2), (200, 500, 4), (3000, 20, 6)]
)
def test_the_estimate_bounds_the_peak_measured_while_fitting(covariance_type, n, d, k):
    X = np.random.default_rng(0).normal(size=(n, d))
    tracemalloc.start()
    try:
        fit(X, k, covariance_type=covariance_type, seed=0, max_iter=3, reg_covar=1e-3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = fit_memory_bytes(n, d, k, covariance_type)
    assert peak <= estimate
    if d >= 300 and covariance_type == "full":  # where the covariances dominate,
        assert estimate < 3 * peak  # the estimate is not wildly pessimistic


def test_a_wide_table_is_refused_before_allocating():
    # 5 rows of 100,000 columns: the 100,000 × 100,000 covariances alone would need 149 GiB.
    X = np.random.default_rng(0).normal(size=(5, 100_000))
    assert fit_memory_bytes(5, 100_000, 2, "full") > available_memory()
    tracemalloc.start()
    try:
        with pytest.raises(FitError) as caught:
            fit(X, 2, covariance_type="full", seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith("2 components in 100000 dimensions need about ")
    assert "each 100000×100000 covariance takes 74.5 GB" in message
    assert "is available; choose fewer columns or components" in message
    assert peak < 1 << 20  # nothing beyond the check itself


def test_the_command_line_refuses_it_in_one_line(tmp_path):
    path = tmp_path / "wide.npy"
    np.save(path, np.random.default_rng(0).normal(size=(5, 100_000)))
    result = subprocess.run(
        [sys.executable, "-m", "gmm_studio", "fit", str(path), "-k", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"gmm-studio: {path}: cannot fit: 2 components in 100000")
