"""Points CSV, labels CSV and model JSON: exact round trips and clear errors."""

import json

import numpy as np
import pytest

from gmm_studio.core import FitSettings, fit
from gmm_studio.io import (
    DataFileError,
    inspect_table,
    read_model_json,
    read_points,
    write_labels_csv,
    write_model_json,
    write_points_csv,
)


@pytest.fixture
def faithful(samples_dir):
    return read_points(samples_dir / "old_faithful.csv")


def test_points_csv_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 10.0 ** rng.integers(-300, 300, size=(50, 3))
    write_points_csv(tmp_path / "p.csv", X, ["a", "b, c", 'say "d"'])
    table = read_points(tmp_path / "p.csv")
    assert table.columns == ["a", "b, c", 'say "d"']
    np.testing.assert_array_equal(table.data, X)


def test_points_csv_refuses_non_finite_points(tmp_path):
    with pytest.raises(ValueError, match=r"finite"):
        write_points_csv(tmp_path / "p.csv", [[1.0, np.nan]], ["x", "y"])
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_labels_csv_holds_hard_labels_and_responsibilities(tmp_path, faithful, covariance_type):
    result = fit(faithful.data, 2, covariance_type=covariance_type, seed=0)
    resp = result.mixture.predict_proba(faithful.data)
    write_labels_csv(tmp_path / "labels.csv", resp)
    columns = ["label", "responsibility_0", "responsibility_1"]
    info = inspect_table(tmp_path / "labels.csv")
    assert info.columns == columns and info.label_columns == (0,)
    back = info.select(columns)
    np.testing.assert_array_equal(back.data[:, 0], result.mixture.predict(faithful.data))
    np.testing.assert_array_equal(back.data[:, 1:], resp)


def test_labels_csv_with_the_points(tmp_path, faithful):
    resp = np.tile([0.25, 0.75], (faithful.n_samples, 1))
    write_labels_csv(tmp_path / "l.csv", resp, points=faithful.data, columns=faithful.columns)
    columns = ["eruptions", "waiting", "label", "responsibility_0", "responsibility_1"]
    back = read_points(tmp_path / "l.csv", columns)
    np.testing.assert_array_equal(back.data[:, :2], faithful.data)
    assert set(back.data[:, 2]) == {1.0}


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_model_json_round_trip_is_exact(tmp_path, faithful, covariance_type):
    settings = FitSettings(n_components=2, covariance_type=covariance_type)
    result = fit(faithful.data, **settings.fit_kwargs())
    path = tmp_path / "model.json"
    write_model_json(
        path, result.mixture, faithful.columns, data=faithful.data, settings=settings,
        n_iter=result.n_iter, converged=result.converged,
    )  # fmt: skip
    model = read_model_json(path)
    assert model.mixture == result.mixture  # bit-for-bit arrays
    assert model.columns == ["eruptions", "waiting"]
    assert model.settings == settings
    doc = json.loads(path.read_text())
    assert doc["format"] == "gmm-studio-model" and doc["version"] == 1
    assert doc["covariance_type"] == covariance_type
    assert doc["log_likelihood"] == result.log_likelihood
    assert doc["bic"] == result.mixture.bic(faithful.data)
    assert doc["aic"] == result.mixture.aic(faithful.data)
    assert doc["n_iter"] == result.n_iter and doc["converged"] is result.converged


def test_model_json_from_a_newer_version_or_damaged(tmp_path, faithful):
    result = fit(faithful.data, 2, seed=0)
    path = tmp_path / "model.json"
    write_model_json(path, result.mixture, faithful.columns)
    doc = json.loads(path.read_text())
    path.write_text(json.dumps({**doc, "version": 99}))
    with pytest.raises(DataFileError, match=r"newer GMM Studio"):
        read_model_json(path)
    path.write_text(json.dumps({**doc, "weights": [0.9, 0.9]}))
    with pytest.raises(DataFileError, match=r"model.json: not a valid model file: weights"):
        read_model_json(path)
    path.write_text(json.dumps({**doc, "columns": ["one"]}))
    with pytest.raises(DataFileError, match=r"'columns' must list 2 names"):
        read_model_json(path)
    path.write_text(path.read_text()[:50])
    with pytest.raises(DataFileError, match=r"broken JSON at line"):
        read_model_json(path)


def test_writing_where_it_cannot_gives_a_clear_error(tmp_path, faithful):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataFileError, match=r"^out.csv: could not save: a folder in its path"):
        write_points_csv(tmp_path / "file" / "out.csv", faithful.data, faithful.columns)
    with pytest.raises(DataFileError, match=r"^out.csv: could not save: the folder does not exist"):
        write_points_csv(tmp_path / "missing" / "out.csv", faithful.data, faithful.columns)
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataFileError, match=r"^dir.csv: could not save: it is a folder"):
        write_points_csv(tmp_path / "dir.csv", faithful.data, faithful.columns)
