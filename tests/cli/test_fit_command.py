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
    "n_init", "start_seeds", "start_log_likelihoods", "degenerate_components",
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
    names = ["row", "label", "responsibility_0", "responsibility_1"]
    rows = read_points(out_csv, names)
    assert rows.columns == names
    assert rows.n_samples == 272
    np.testing.assert_array_equal(rows.data[:, 0], np.arange(272))
    np.testing.assert_allclose(rows.data[:, 2:].sum(axis=1), 1.0)
    np.testing.assert_array_equal(rows.data[:, 1], rows.data[:, 2:].argmax(axis=1))


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
    words = tmp_path / "words.csv"
    words.write_text("x\na\nb\n")
    assert "no numeric columns" in one_line_error(capsys, "fit", str(words), "-k", "1")
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


def summary_tables(out: str) -> list[list[list[str]]]:
    """Each component's printed covariance, as rows of cells."""
    tables, rows = [], None
    for line in out.splitlines():
        cells = line.split()
        if cells[:1] == ["covariance"]:
            rows = [cells[1:]]
            tables.append(rows)
        elif rows is not None and cells and line.startswith("  "):
            rows.append(cells)
        else:
            rows = None
    return tables


def test_summary_shows_full_names_and_exactly_symmetric_covariances(capsys, tmp_path):
    # A fit whose engine covariances are not exactly symmetric (by a rounding unit).
    rng = np.random.default_rng(22)
    X = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5))
    engine = fit(X, 3, covariance_type="full", seed=22, max_iter=50).mixture.full_covariances()
    assert (engine != engine.transpose(0, 2, 1)).any()
    names = ["annual_income_in_dollars", "b", "age_in_years", "d", "years_of_schooling_x"]
    path = tmp_path / "people.csv"
    path.write_text(
        ",".join(names) + "\n" + "".join(",".join(map(repr, r)) + "\n" for r in X.tolist())
    )
    code, out, _ = run(capsys, "fit", str(path), "-k", "3", "--seed", "22", "--max-iter", "50")
    assert code == 0
    header = next(line for line in out.splitlines() if "annual_income" in line and "(" not in line)
    assert header.split() == names
    tables = summary_tables(out)
    assert len(tables) == 3
    for table in tables:
        assert len(table) == 5 and all(len(row) == 5 for row in table)
        assert table == [list(col) for col in zip(*table, strict=True)]
    widths = {len(line) for line in out.splitlines() if line.startswith("  ")}
    assert len(widths) == 1  # every row of every component lines up with the header


def test_a_mean_of_round_off_where_its_column_is_about_zero_is_shown_as_zero():
    # Every mean of the second column is ~0, so only the spread says -1e-17 is round-off;
    # a real offset of a thousandth of the spread is kept.
    from gmm_studio.cli import _shown_means

    covariances = np.array([np.diag([1.09, 2.285])] * 2)
    shown = _shown_means(np.array([[10.0, 0.0], [0.0, -1.1e-17]]), covariances)
    assert shown[1, 1] == 0.0 and str(shown[1, 1]) == "0.0"
    kept = _shown_means(np.array([[10.0, 0.0], [0.0, 1.5e-3]]), covariances)
    assert kept[1, 1] == 1.5e-3 and kept[0, 0] == 10.0


def test_round_off_is_shown_as_zero_and_one_iteration_is_singular(capsys, tmp_path):
    # A symmetric grid, twice: the second cluster's mean is 0 up to round-off.
    grid = np.array([[x, y] for x in (-1.3, -0.7, 0.7, 1.3) for y in (-2.1, -0.4, 0.4, 2.1)])
    X = np.vstack([grid, grid + np.array([10.0, 0.0])])
    assert 0 < abs(fit(X, 2, seed=0).mixture.means[1, 0]) < 1e-14
    path = tmp_path / "grid.npy"
    np.save(path, X)
    code, out, _ = run(capsys, "fit", str(path), "-k", "2", "--seed", "0")
    assert code == 0
    assert "e-1" not in out and "e-2" not in out  # no round-off like 4.44089e-15
    means = [line.split()[1:] for line in out.splitlines() if line.split()[:1] == ["mean"]]
    assert ["0", "0"] in means and ["10", "0"] in means
    assert "converged after 1 iteration\n" in out


def test_labels_name_the_source_row_of_each_kept_point(capsys, tmp_path):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + 6])
    lines = ["# survey", "a,b"] + [f"{a!r},{b!r}" for a, b in X.tolist()]
    lines[5] = "1.0,"  # data row 3 (line 6) is incomplete
    lines[9] = "nan,2.0"  # data row 7 (line 10) too
    text_path = tmp_path / "survey.csv"
    text_path.write_text("\n".join(lines) + "\n")
    labels = tmp_path / "labels.csv"
    names = ["row", "label", "responsibility_0", "responsibility_1"]
    code, _, err = run(capsys, "fit", str(text_path), "-k", "2", "--labels", str(labels))
    assert code == 0 and "(lines 6, 10)" in err
    kept = [i for i in range(40) if i not in (3, 7)]
    np.testing.assert_array_equal(read_points(labels, names).data[:, 0], kept)
    Y = X.copy()
    Y[[3, 7], 1] = np.nan
    np.save(tmp_path / "survey.npy", Y)
    code, _, _ = run(
        capsys, "fit", str(tmp_path / "survey.npy"), "-k", "2", "--labels", str(labels)
    )
    assert code == 0
    np.testing.assert_array_equal(read_points(labels, names).data[:, 0], kept)
