"""``gmm-studio select``: in-process through main(argv) and once as a real subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gmm_studio.core.selection import GridSettings, select_model
from gmm_studio.io import read_points

ROOT = Path(__file__).resolve().parents[2]
GRID_KEYS = [
    "n_components", "covariance_type", "log_likelihood", "bic", "aic", "icl", "n_iter",
    "converged", "degenerate", "degenerate_components", "mclust_model",
    "start_log_likelihoods", "error",
]  # fmt: skip


def test_json_grid_and_best_match_the_engine(run, faithful):
    code, out, err = run("select", faithful, "-k", "1-4", "--n-init", "2", "--seed", "3", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["criterion"] == "bic" and doc["n_samples"] == 272
    assert len(doc["grid"]) == 16 and all(list(c) == GRID_KEYS for c in doc["grid"])
    X = read_points(faithful).data
    expected = select_model(X, GridSettings(n_components=(1, 2, 3, 4), n_init=2, seed=3))
    for record, cell in zip(doc["grid"], expected.cells, strict=True):
        assert (record["n_components"], record["covariance_type"]) == (
            cell.n_components,
            cell.covariance_type,
        )
        assert record["bic"] == cell.bic and record["icl"] == cell.icl
        assert record["log_likelihood"] == cell.log_likelihood
    best = expected.best("bic")
    assert doc["best"]["n_components"] == best.n_components == 2
    assert doc["best"]["covariance_type"] == best.covariance_type
    assert doc["best"]["means"] == best.mixture.means.tolist()
    assert list(doc["best"])[-3:] == ["weights", "means", "covariances"]


def test_table_marks_best_and_degenerate_cells(run, faithful):
    code, out, _ = run(
        "select", faithful, "-k", "2,5", "--covariance-types", "full,diag",
        "--seed", "2", "--tol", "1e-6",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert "lower is better; mclust's sign is the opposite" in lines[1]
    header = next(line for line in lines if line.lstrip().startswith("K"))
    assert header.split() == ["K", "full", "(VVV)", "diag", "(VVI)"]
    row2 = next(line for line in lines if line.split()[:1] == ["2"])
    row5 = next(line for line in lines if line.split()[:1] == ["5"])
    assert row2.split()[1].endswith("*")
    assert row5.split()[2].endswith("!")
    assert "! degenerate" in out
    assert "chosen: K=2, full (VVV)" in out
    assert "component 1: weight" in out


def test_criterion_choice(run, faithful):
    _, out, _ = run("select", faithful, "-k", "1-4", "--criterion", "aic", "--json")
    doc = json.loads(out)
    assert doc["criterion"] == "aic"
    healthy = [c for c in doc["grid"] if not c["degenerate"]]
    assert doc["best"]["aic"] == min(c["aic"] for c in healthy)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-k", "x"], "not a list of K values: 'x'"),
        (["-k", "0-3"], "K values must be at least 1"),
        (["--covariance-types", "full,round"], "covariance_type must be one of"),
        (["--n-init", "0"], "n_init must be a whole number ≥ 1, not 0"),
        (["--tol", "-1"], "tol must be a number ≥ 0"),
    ],
)
def test_usage_errors_exit_2_with_one_line(run, faithful, argv, message):
    code, out, err = run("select", faithful, *argv)
    assert code == 2 and out == ""
    assert err.startswith("gmm-studio select: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_data_errors_exit_1_naming_the_file(run, tmp_path, faithful):
    missing = tmp_path / "nope.csv"
    code, _, err = run("select", str(missing))
    assert code == 1 and err.startswith(f"gmm-studio: {missing}: ")
    assert len(err.strip().splitlines()) == 1
    code, _, err = run("select", faithful, "-k", "300")
    assert code == 1
    assert err.strip() == (
        f"gmm-studio: {faithful}: cannot fit: n_components=300 is more than the 272 points "
        "to fit; add points or use fewer components"
    )


def test_every_cell_failed(run, tmp_path):
    path = tmp_path / "three.csv"
    np.savetxt(path, np.repeat([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], 4, axis=0), delimiter=",")
    code, out, err = run("select", str(path), "-k", "3", "--covariance-types", "full",
                         "--reg-covar", "0")  # fmt: skip
    assert code == 1 and "failed" in out
    assert err.strip().startswith(f"gmm-studio: {path}: cannot fit: no cell of the grid")


def test_subprocess(faithful):
    done = subprocess.run(
        [sys.executable, "-m", "gmm_studio", "select", faithful, "-k", "1-3", "--json"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["best"]["n_components"] == 2
    assert done.stderr == ""


def test_weights_column(run, tmp_path, faithful):
    X = read_points(faithful).data
    weights = np.random.default_rng(0).integers(1, 4, len(X)).astype(float)
    path = tmp_path / "weighted.csv"
    np.savetxt(path, np.column_stack([X, weights]), delimiter=",", header="e,w,n", comments="")
    code, out, err = run("select", str(path), "-k", "1-3", "--weights", "n", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["columns"] == ["e", "w"]
    expected = select_model(X, GridSettings(n_components=(1, 2, 3)), sample_weight=weights)
    assert [c["bic"] for c in doc["grid"]] == pytest.approx([c.bic for c in expected.cells])
