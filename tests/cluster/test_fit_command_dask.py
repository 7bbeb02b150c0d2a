"""``gmm-studio fit --dask``, end to end in subprocesses, against real clusters."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def gmm_studio(*argv, code=None, timeout=240):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "gmm_studio"]
    done = subprocess.run(
        [*command, *argv], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT
    )
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture
def faithful(samples_dir):
    return str(samples_dir / "old_faithful.csv")


def test_fit_on_a_running_cluster_prints_the_in_memory_json(client, faithful):
    argv = ["fit", faithful, "-k", "2", "--seed", "4", "--tol", "1e-8", "--json"]
    in_memory = gmm_studio(*argv)
    on_cluster = gmm_studio(*argv, "--dask", client.scheduler.address)
    assert in_memory.returncode == on_cluster.returncode == 0
    expected, got = json.loads(in_memory.stdout), json.loads(on_cluster.stdout)
    assert list(got) == list(expected)
    assert got["n_iter"] == expected["n_iter"] and got["n_samples"] == 272
    for key in ("log_likelihood", "bic", "weights", "means", "covariances"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10)
    progress = [line for line in on_cluster.stderr.splitlines() if line.startswith("iteration")]
    assert len(progress) == expected["n_iter"] + 1
    assert progress[0].startswith("iteration 0  log-likelihood -") and progress[0].endswith(" s")


def test_fit_on_a_local_cluster_by_default(tmp_path):
    X = np.random.default_rng(2).normal(size=(3000, 2)) * [1.0, 3.0]
    np.save(tmp_path / "points.npy", X)
    done = gmm_studio("fit", str(tmp_path / "points.npy"), "-k", "2", "--dask", "--max-iter", "5")
    assert done.returncode == 0, done.stderr
    assert "3000 points, 2 columns (x, y)" in done.stdout
    workers = os.cpu_count() or 1  # one worker process per core
    assert f"3000 points in 1 chunks on {workers} Dask workers" in done.stderr


def test_an_unreachable_scheduler_is_one_line_and_exit_code_1(faithful):
    done = gmm_studio("fit", faithful, "-k", "2", "--dask", "tcp://127.0.0.1:9")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done.stderr


def test_labels_are_not_written_from_a_cluster(faithful, tmp_path):
    done = gmm_studio("fit", faithful, "-k", "2", "--dask", "--labels", str(tmp_path / "l.csv"))
    assert done.returncode == 2 and "--labels cannot be combined with --dask" in done.stderr


@pytest.mark.parametrize(
    "option", [["--standardize"], ["--labels-column", "x"], ["--skip-rows", "1"], ["--no-header"]]
)
def test_in_memory_only_options_are_usage_errors_with_dask(faithful, option):
    done = gmm_studio("fit", faithful, "-k", "2", "--dask", *option)
    assert done.returncode == 2
    assert f"{option[0]} cannot be combined with --dask" in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_weights_column_weights_the_fit_on_a_cluster(client, tmp_path):
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(size=(300, 2)), rng.normal(size=(200, 2)) * 0.5 + 3])
    w = rng.integers(0, 4, len(X))
    path = tmp_path / "weighted.csv"
    np.savetxt(path, np.column_stack([X, w]), delimiter=",", header="x,y,w", comments="")
    argv = ["fit", str(path), "-k", "2", "--weights", "w", "--tol", "1e-8", "--json"]
    in_memory = gmm_studio(*argv)
    on_cluster = gmm_studio(*argv, "--dask", client.scheduler.address)
    assert in_memory.returncode == on_cluster.returncode == 0, on_cluster.stderr
    expected, got = json.loads(in_memory.stdout), json.loads(on_cluster.stdout)
    unweighted = json.loads(gmm_studio(*argv[:4], *argv[6:]).stdout)
    assert expected["log_likelihood"] != pytest.approx(unweighted["log_likelihood"])
    for key in ("log_likelihood", "bic", "aic", "means", "covariances"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10)


BLOCK_DASK = textwrap.dedent(
    """
    import sys

    class NoDask:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("dask", "distributed"):
                raise ImportError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, NoDask())
    from gmm_studio.cli import main

    sys.exit(main(sys.argv[1:]))
    """
)


def test_without_the_extra_dask_names_what_to_install(faithful):
    done = gmm_studio("fit", faithful, "-k", "2", "--dask", code=BLOCK_DASK)
    assert done.returncode == 2
    assert 'pip install "gmm-studio[dask]"' in done.stderr
    assert done.stderr.count("\n") == 1
    plain = gmm_studio("fit", faithful, "-k", "2", code=BLOCK_DASK)  # in memory: no Dask needed
    assert plain.returncode == 0, plain.stderr
