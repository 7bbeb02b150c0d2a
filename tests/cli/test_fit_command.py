"""``gmm-studio fit``: in-process through main(argv) and as a real subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gmm_studio.cli import main
from gmm_studio.core import FitSettings, fit
from gmm_studio.io import read_points

ROOT = Path(__file__).resolve().parents[2]
JSON_KEYS = [
    "n_samples", "columns", "covariance_type", "weights", "means", "covariances",
    "log_likelihood", "mean_log_likelihood", "n_iter", "converged", "bic", "aic",
    "n_init", "start_log_likelihoods", "degenerate_components",
]  # fmt: skip


@pytest.fixture
def faithful(samples_dir):
    return str(samples_dir / "old_faithful.csv")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_summary(capsys, faithful):
    code, out, err = run(capsys, "fit", faithful, "-k", "2")
    assert code == 0 and err == ""
    assert "272 points, 2 columns (eruptions, waiting)" in out
    assert "converged after" in out
    assert "component 1: weight" in out


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_json_matches_the_engine(capsys, faithful, covariance_type):
    code, out, _ = run(
        capsys, "fit", faithful, "-k", "2", "--covariance-type", covariance_type,
        "--init", "kmeans", "--seed", "4", "--tol", "1e-8", "--max-iter", "500",
        "--reg-covar", "1e-5", "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == JSON_KEYS
    X = read_points(faithful).data
    settings = FitSettings(2, covariance_type, "kmeans", 1e-8, 500, 1e-5, 4)
    expected = fit(X, **settings.fit_kwargs())
    assert doc["n_samples"] == 272 and doc["columns"] == ["eruptions", "waiting"]
    assert doc["covariance_type"] == covariance_type
    np.testing.assert_array_equal(doc["weights"], expected.weights)
    np.testing.assert_array_equal(doc["means"], expected.means)
    np.testing.assert_array_equal(doc["covariances"], expected.covariances)
    assert doc["log_likelihood"] == expected.log_likelihood
    assert doc["mean_log_likelihood"] == expected.mean_log_likelihood
    assert doc["n_iter"] == expected.n_iter and doc["converged"] is expected.converged
    assert doc["bic"] == expected.mixture.bic(X) and doc["aic"] == expected.mixture.aic(X)


def test_labels_file(capsys, faithful, tmp_path):
    out_csv = tmp_path / "labels.csv"
    code, _, _ = run(capsys, "fit", faithful, "-k", "2", "--labels", str(out_csv))
    assert code == 0
    rows = read_points(out_csv)
    assert rows.columns == ["label", "responsibility_0", "responsibility_1"]
    assert rows.n_samples == 272
    np.testing.assert_allclose(rows.data[:, 1:].sum(axis=1), 1.0)
    np.testing.assert_array_equal(rows.data[:, 0], rows.data[:, 1:].argmax(axis=1))


def test_columns_by_name_and_index_and_dropped_rows(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(30, 3)), rng.normal(size=(30, 3)) + 5])
    lines = ["id,a,b,c"] + [f"p{i},{a!r},{b!r},{c!r}" for i, (a, b, c) in enumerate(X.tolist())]
    lines[3] = "p2,1.0,,2.0"
    path = tmp_path / "three.csv"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "fit", str(path), "-k", "2", "--columns", "c,1", "--json")
    assert code == 0
    assert json.loads(out)["columns"] == ["c", "a"]
    assert json.loads(out)["n_samples"] == 60  # the missing cell is in b, not chosen
    code, out, err = run(capsys, "fit", str(path), "-k", "2", "--json")
    assert json.loads(out)["n_samples"] == 59
    assert "dropped 1 row with missing or non-finite values (line 4)" in err
    assert "skipped non-numeric columns: id" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit"], "the following arguments are required"),
        (["fit", "{faithful}"], "required: -k/--n-components"),
        (["fit", "{faithful}", "-k", "two"], "invalid int value"),
        (["fit", "{faithful}", "-k", "0"], "n_components must be a whole number"),
        (["fit", "{faithful}", "-k", "2", "--covariance-type", "round"], "invalid choice"),
        (["fit", "{faithful}", "-k", "2", "--tol", "-1"], "tol must be a number"),
        (["fit", "{faithful}", "-k", "2", "--seed", "x"], "not a whole number or 'none'"),
        (["fit", "{faithful}", "-k", "2", "--columns", "a,,b"], "an empty column name"),
        (["fit", "{faithful}", "-k", "2", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_exit_2(capsys, faithful, argv, message):
    code, out, err = run(capsys, *[a.format(faithful=faithful) for a in argv])
    assert code == 2
    assert message in err
    assert out == ""


def one_line_error(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("gmm-studio: ")
    return err.strip()


def test_data_problems_exit_1_with_one_line(capsys, tmp_path, faithful):
    missing = str(tmp_path / "missing.csv")
    assert one_line_error(capsys, "fit", missing, "-k", "2") == (
        f"gmm-studio: {missing}: file not found"
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert one_line_error(capsys, "fit", str(empty), "-k", "2").endswith(
        "empty.csv: the file is empty"
    )
    one = tmp_path / "one.csv"
    one.write_text("x\n1\n2\n")
    assert "at least 2 numeric columns" in one_line_error(capsys, "fit", str(one), "-k", "1")
    assert one_line_error(capsys, "fit", str(tmp_path), "-k", "2").endswith(
        "is a folder, not a file"
    )
    few = tmp_path / "few.csv"
    few.write_text("x,y\n1,2\n3,4\n5,7\n")
    assert one_line_error(capsys, "fit", str(few), "-k", "4").endswith(
        "few.csv: cannot fit: n_components=4 is more than the 3 points to fit; "
        "add points or use fewer components"
    )
    assert one_line_error(capsys, "fit", faithful, "-k", "2", "--columns", "speed").endswith(
        "no column named 'speed' (columns: eruptions, waiting)"
    )
    assert one_line_error(
        capsys, "fit", faithful, "-k", "2", "--labels", str(tmp_path / "no" / "l.csv")
    ).endswith("l.csv: could not save: the folder does not exist")


def test_degenerate_data_without_reg_covar_is_a_data_problem(capsys, tmp_path):
    path = tmp_path / "same.csv"
    path.write_text("x,y\n" + "1,2\n" * 10 + "3,4\n" * 10)
    err = one_line_error(capsys, "fit", str(path), "-k", "2", "--reg-covar", "0")
    assert "same.csv: cannot fit:" in err


def test_help_and_version(capsys):
    code, out, _ = run(capsys, "fit", "--help")
    assert code == 0 and "--covariance-type" in out and "--labels" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("GMM Studio ")


def python_m(*argv):
    return subprocess.run(
        [sys.executable, "-m", "gmm_studio", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_subprocess_json_and_labels(faithful, tmp_path):
    labels = tmp_path / "l.csv"
    done = python_m("fit", faithful, "-k", "2", "--json", "--labels", str(labels))
    assert done.returncode == 0, done.stderr
    assert list(json.loads(done.stdout)) == JSON_KEYS
    assert read_points(labels).n_samples == 272


def test_subprocess_exit_codes(tmp_path):
    done = python_m("fit", str(tmp_path / "nothing.csv"), "-k", "2")
    assert done.returncode == 1
    assert done.stderr == f"gmm-studio: {tmp_path / 'nothing.csv'}: file not found\n"
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    done = python_m("fit", str(garbage), "-k", "2")
    assert done.returncode == 1
    assert done.stderr.strip().endswith("garbage.csv: not a text table: it holds binary data")
    done = python_m("fit", str(garbage))
    assert done.returncode == 2 and "usage:" in done.stderr and "Traceback" not in done.stderr
