"""Sessions: exact round trip, atomic saving, and clear errors for newer or damaged files."""

import json
import os

import numpy as np
import pytest

from gmm_studio.core import FitSettings, em_steps
from gmm_studio.io import DataFileError, Session, load_session, read_points, save_session
from gmm_studio.io.session import POINT_ROWS_PER_PIECE


@pytest.fixture
def session(samples_dir):
    table = read_points(samples_dir / "old_faithful.csv")
    settings = FitSettings(n_components=2, covariance_type="diag", seed=5, tol=1e-4)
    steps = list(em_steps(table.data, **settings.fit_kwargs()))
    return Session(
        points=table.data,
        columns=table.columns,
        axes=(1, 0),
        settings=settings,
        mixture=steps[-1].mixture,
        log_likelihood_history=[s.log_likelihood for s in steps],
        source=str(samples_dir / "old_faithful.csv"),
    )


def test_round_trip_is_exact(tmp_path, session):
    path = tmp_path / "work.gmms"
    save_session(path, session)
    back = load_session(path)
    np.testing.assert_array_equal(back.points, session.points)
    assert back.columns == session.columns
    assert back.axes == (1, 0)
    assert back.settings == session.settings
    assert back.mixture == session.mixture
    assert back.log_likelihood_history == session.log_likelihood_history
    assert back.source == session.source


def test_points_written_in_pieces_are_the_same_json(tmp_path):
    rng = np.random.default_rng(0)
    n = 2 * POINT_ROWS_PER_PIECE + 7  # two full pieces and a short one
    points = rng.normal(size=(n, 3)) * 10.0 ** rng.integers(-8, 8, size=(n, 3))
    session = Session(points=points, columns=["a", "b", "c"], axes=(2, 0))
    path = tmp_path / "big.gmms"
    save_session(path, session)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc == json.loads(json.dumps(session.to_dict()))
    np.testing.assert_array_equal(load_session(path).points, points)


def test_empty_canvas_session_round_trips(tmp_path):
    path = tmp_path / "empty.gmms"
    save_session(path, Session(points=np.zeros((0, 2)), columns=["x", "y"]))
    back = load_session(path)
    assert back.points.shape == (0, 2) and back.mixture is None


def test_saving_replaces_the_file_atomically_and_leaves_no_temporary_files(tmp_path, session):
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "work.gmms"
    save_session(path, session)
    first_inode = os.stat(path).st_ino
    save_session(path, Session(points=[[0.0, 1.0]], columns=["a", "b"]))
    assert os.stat(path).st_ino != first_inode  # a new file renamed over the old one
    assert sorted(p.name for p in folder.iterdir()) == ["work.gmms"]
    assert load_session(path).columns == ["a", "b"]


def test_a_failed_save_keeps_the_old_file(tmp_path, session, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "work.gmms"
    save_session(path, session)
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # the disk fills up mid-save
    with pytest.raises(DataFileError, match=r"^work.gmms: could not save: the disk is full$"):
        save_session(path, Session(points=[[0.0, 1.0]], columns=["a", "b"]))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["work.gmms"]


def test_newer_version(tmp_path, session):
    path = tmp_path / "future.gmms"
    save_session(path, session)
    doc = json.loads(path.read_text())
    doc["version"] = 2
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFileError) as info:
        load_session(path)
    assert str(info.value) == (
        "future.gmms: was saved by a newer GMM Studio (session format version 2; this version "
        "reads up to 1); update GMM Studio to open it"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(points=[[1.0, 2.0], [3.0]]), "point 1 must be a list of 2 finite"),
        (lambda d: d.update(points=[[1.0, "2"]]), "point 0 must be a list of 2 finite"),
        (lambda d: d.update(columns="xy"), "'columns' must be a list of names"),
        (lambda d: d.update(columns=["x"]), "'columns' must name at least 2"),
        (lambda d: d.update(axes=[0, 0]), "axes must be two different column indices"),
        (lambda d: d.update(axes=[0, 5]), "axes must be two different column indices"),
        (lambda d: d["settings"].update(n_components=-3), "settings: n_components must be"),
        (lambda d: d["settings"].update(covariance_type="round"), "settings: covariance_type"),
        (lambda d: d["model"].update(weights=[0.5, 0.7]), "model: weights must be"),
        (lambda d: d["model"].update(covariance_type="full"), "model: full covariances must"),
        (lambda d: d.update(model=[1, 2]), "'model' must be an object or null"),
        (lambda d: d.update(log_likelihood_history="high"), "'log_likelihood_history' must be"),
        (lambda d: d.pop("version"), "missing or bad 'version'"),
    ],
)
def test_hand_edited_bodies(tmp_path, session, edit, message):
    path = tmp_path / "edited.gmms"
    save_session(path, session)
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFileError) as info:
        load_session(path)
    assert str(info.value).startswith("edited.gmms: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ('{"format": "gmm-studio-session", "version": 1, "points": [', "broken JSON at line 1"),
        ('{"format": "gmm-studio-session", "version": 1, "points": [[NaN, 1]]}', "NaN is not"),
        ("[1, 2, 3]", "not a GMM Studio session file"),
        ('{"format": "something else"}', "not a GMM Studio session file"),
    ],
)
def test_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad.gmms"
    path.write_text(content)
    with pytest.raises(DataFileError, match=message):
        load_session(path)


def test_missing_session_file(tmp_path):
    with pytest.raises(DataFileError, match=r"^gone.gmms: file not found$"):
        load_session(tmp_path / "gone.gmms")
