"""``gmm-studio fit`` options for files as people have them."""

import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from gmm_studio.cli import ONE_COLUMN_NOTE, STANDARDIZED_NOTE, main
from gmm_studio.core import Mixture, fit
from tests.io.test_preambles_and_roles import sklearn_style


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_scikit_learn_wine_file_fits_with_labels_reported(capsys, tmp_path):
    path, X, y = sklearn_style(tmp_path, "wine_data.csv", 13, ["class_0", "class_1", "class_2"])
    code, out, err = run(capsys, "fit", path, "-k", "3", "--seed", "0", "--json")
    assert code == 0
    assert "skipped line 1" in err and "not fitted: 'target' looks like true labels" in err
    doc = json.loads(out)
    assert doc["columns"] == [f"x{i}" for i in range(13)] and doc["n_samples"] == 60
    code, out, err = run(
        capsys, "fit", path, "-k", "3", "--seed", "0", "--labels-column", "target", "--json"
    )
    doc = json.loads(out)
    labels = fit(X, 3, seed=0).mixture.predict(X)
    assert doc["adjusted_rand_index"] == pytest.approx(adjusted_rand_score(y, labels), abs=1e-12)
    code, out, err = run(capsys, "fit", path, "-k", "3", "--labels-column", "target")
    assert code == 0 and "adjusted Rand index" in out.splitlines()[-1]


def test_skip_rows_and_no_header(capsys, tmp_path):
    path = tmp_path / "p.csv"
    rows = "\n".join(f"{i % 7},{(i * 3) % 5}" for i in range(20))
    path.write_text("my title, with a comma\n" + rows + "\n")
    code, out, _ = run(capsys, "fit", path, "-k", "2", "--skip-rows", "1", "--no-header", "--json")
    assert code == 0 and json.loads(out)["n_samples"] == 20
    code, _, err = run(capsys, "fit", path, "-k", "2", "--skip-rows", "-1")
    assert code == 2 and "not a whole number of at least 0" in err


def test_one_column_fits(capsys, tmp_path):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 100), rng.normal(6, 1, 100)])
    path = tmp_path / "one.csv"
    path.write_text("height\n" + "\n".join(repr(float(v)) for v in x) + "\n")
    code, out, err = run(capsys, "fit", path, "-k", "2", "--seed", "1", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    expected = fit(x[:, None], 2, seed=1)
    np.testing.assert_allclose(doc["means"], expected.means.tolist())
    code, out, _ = run(capsys, "fit", path, "-k", "2", "--covariance-type", "spherical")
    assert code == 0 and "1 columns (height)" in out and ONE_COLUMN_NOTE in out


def test_standardize(capsys, tmp_path):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(80, 2)), rng.normal(size=(80, 2)) + 3]) * [0.01, 1000]
    path = tmp_path / "s.csv"
    path.write_text("a,b\n" + "\n".join(f"{a!r},{b!r}" for a, b in X.tolist()) + "\n")
    code, out, _ = run(capsys, "fit", path, "-k", "2", "--seed", "2", "--standardize", "--json")
    assert code == 0
    doc = json.loads(out)
    expected = fit(X, 2, seed=2, standardize=True)
    np.testing.assert_allclose(doc["means"], expected.means.tolist())
    assert doc["log_likelihood"] == pytest.approx(expected.mixture.log_likelihood(X))
    code, out, _ = run(capsys, "fit", path, "-k", "2", "--seed", "2", "--standardize")
    assert code == 0 and STANDARDIZED_NOTE in out and ONE_COLUMN_NOTE not in out
    code, _, err = run(
        capsys, "fit", path, "-k", "2", "--standardize", "--covariance-type", "spherical"
    )
    assert code == 1 and "use diag covariances" in err and err.count("\n") == 1


def test_bad_weights_are_one_line_errors(capsys, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("x,y,w\n1,2,1\n3,4,-2\n5,6,1\n")
    code, out, err = run(capsys, "fit", path, "-k", "1", "--weights", "w")
    assert code == 1 and out == ""
    assert err == (
        f"gmm-studio: {path}: weights column 'w' holds negative weights (line 3); "
        "weights must be finite and at least 0\n"
    )
    code, _, err = run(capsys, "fit", path, "-k", "1", "--weights", "v")
    assert code == 1 and "no column named 'v'" in err


@pytest.mark.parametrize("standardize", [False, True])
def test_weights_column_is_passed_as_sample_weight(capsys, tmp_path, standardize):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) * 0.5 + 4])
    w = rng.integers(0, 4, size=80).astype(float)
    w[0] = 1.0
    path = tmp_path / "w.csv"
    rows = [f"{a!r},{b!r},{c!r}" for (a, b), c in zip(X.tolist(), w.tolist(), strict=True)]
    path.write_text("x,y,count\n" + "\n".join(rows) + "\n")
    argv = ["fit", path, "-k", "2", "--seed", "5", "--weights", "count", "--json"]
    code, out, err = run(capsys, *argv, *(["--standardize"] if standardize else []))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["columns"] == ["x", "y"]
    expected = fit(X, 2, seed=5, sample_weight=w, standardize=standardize)
    np.testing.assert_allclose(doc["means"], expected.means.tolist(), rtol=1e-12)
    assert doc["log_likelihood"] == pytest.approx(expected.log_likelihood, rel=1e-12)
    # the reported log-likelihood is the weighted one of the reported mixture on the data
    mixture = Mixture(doc["weights"], doc["means"], doc["covariances"], doc["covariance_type"])
    assert doc["log_likelihood"] == pytest.approx(w @ mixture.score_samples(X), rel=1e-9)
    unweighted = fit(X, 2, seed=5)
    assert not np.allclose(doc["means"], unweighted.means)


def test_points_without_a_label_are_left_out_of_the_index(capsys, tmp_path):
    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 6])
    labels = ["a"] * 30 + ["b"] * 30
    labels[3] = labels[40] = ""
    path = tmp_path / "l.csv"
    rows = [f"{a!r},{b!r},{c}" for (a, b), c in zip(X.tolist(), labels, strict=True)]
    path.write_text("x,y,kind\n" + "\n".join(rows) + "\n")
    code, out, _ = run(capsys, "fit", path, "-k", "2", "--seed", "0", "--labels-column", "kind")
    assert code == 0
    predicted = fit(X, 2, seed=0).mixture.predict(X)
    keep = [i for i in range(60) if labels[i]]
    ari = adjusted_rand_score([labels[i] for i in keep], predicted[keep])
    assert out.splitlines()[-1] == (
        f"adjusted Rand index {ari:.6f} against 'kind' (2 points without a label left out)"
    )


def test_restarts_with_weights_and_standardized_columns(capsys, tmp_path):
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal([5, 300], [1, 40], (60, 2))])
    w = rng.integers(1, 4, len(X))
    path = tmp_path / "weighted.csv"
    lines = [f"{float(a)!r},{float(b)!r},{c}" for (a, b), c in zip(X, w, strict=True)]
    path.write_text("a,b,count\n" + "\n".join(lines) + "\n")
    code, out, _ = run(
        capsys, "fit", path, "-k", "2", "--weights", "count", "--n-init", "3", "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert len(doc["start_log_likelihoods"]) == 3
    assert doc["log_likelihood"] == pytest.approx(max(doc["start_log_likelihoods"]), rel=1e-12)
    mixture = Mixture(doc["weights"], doc["means"], doc["covariances"])
    # The weighted log-likelihood, and the BIC counts the sum of the weights as N.
    assert mixture.log_likelihood(X, w) == pytest.approx(doc["log_likelihood"], rel=1e-9)
    n_params = 2 * 3 + 2 * 2 + 1
    expected_bic = -2 * doc["log_likelihood"] + n_params * np.log(w.sum())
    assert doc["bic"] == pytest.approx(expected_bic, rel=1e-9)

    code, out, _ = run(
        capsys, "fit", path, "-k", "2", "--columns", "a,b", "--standardize", "--n-init", "2",
        "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    mixture = Mixture(doc["weights"], doc["means"], doc["covariances"])
    # Reported in the original units: the mixture's own log-likelihood on the file's data.
    assert mixture.log_likelihood(X) == pytest.approx(doc["log_likelihood"], rel=1e-9)
