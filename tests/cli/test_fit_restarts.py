"""``gmm-studio fit --n-init`` and the degenerate components in its output."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_iris

from gmm_studio.cli import main
from gmm_studio.core import fit


@pytest.fixture
def iris_csv(tmp_path):
    path = tmp_path / "iris.csv"
    names = "sepal_length,sepal_width,petal_length,petal_width,species"
    data = np.column_stack([load_iris().data, load_iris().target])
    np.savetxt(path, data, delimiter=",", header=names, comments="", fmt="%g")
    return str(path)


def run_json(capsys, *argv):
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    return json.loads(out)


def test_iris_one_start_stops_early_five_starts_reach_the_optimum(capsys, iris_csv):
    one = run_json(capsys, "fit", iris_csv, "--columns", "0,1,2,3", "-k", "3")
    five = run_json(capsys, "fit", iris_csv, "--columns", "0,1,2,3", "-k", "3", "--n-init", "5")
    assert one["log_likelihood"] == pytest.approx(-194.497, abs=1e-3)
    assert five["log_likelihood"] == pytest.approx(-180.1855, abs=1e-3)
    assert five["n_init"] == 5 and len(five["start_log_likelihoods"]) == 5
    assert five["log_likelihood"] == max(five["start_log_likelihoods"])
    assert five["start_log_likelihoods"][0] == one["log_likelihood"]
    X = load_iris().data
    assert five["means"] == fit(X, 3, seed=0, n_init=5).means.tolist()


def test_degenerate_component_reported(capsys, samples_dir):
    faithful = str(samples_dir / "old_faithful.csv")
    doc = run_json(capsys, "fit", faithful, "-k", "5", "--covariance-type", "diag", "--seed", "2")
    (k,) = doc["degenerate_components"]
    assert doc["means"][k][1] == pytest.approx(83.0)
    code = main(["fit", faithful, "-k", "5", "--covariance-type", "diag", "--seed", "2"])
    out, _ = capsys.readouterr()
    assert code == 0 and f"degenerate components: {k} (" in out
    healthy = run_json(
        capsys, "fit", faithful, "-k", "5", "--covariance-type", "diag", "--seed", "2",
        "--n-init", "4",
    )  # fmt: skip
    assert healthy["degenerate_components"] == []
    assert healthy["start_log_likelihoods"][0] == doc["log_likelihood"]


@pytest.mark.parametrize("value", ["0", "-2"])
def test_bad_n_init_is_a_usage_error(capsys, samples_dir, value):
    code = main(["fit", str(samples_dir / "old_faithful.csv"), "-k", "2", "--n-init", value])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == f"gmm-studio fit: error: n_init must be a whole number ≥ 1, not {value}"
