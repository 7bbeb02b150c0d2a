"""Sessions: exact round trip, atomic saving, and clear errors for newer or damaged files."""

import json
import os

import numpy as np
import pytest

from gmm_studio.core import FitSettings, em_steps
from gmm_studio.io import DataFileError, Session, load_session, read_points, save_session
from gmm_studio.io.session import POINT_ROWS_PER_PIECE, TrueLabels
from gmm_studio.model import EventKind, FitModel, FitState, HistoryEvent, SavedFit


@pytest.fixture
def session(samples_dir):
    table = read_points(samples_dir / "old_faithful.csv")
    settings = FitSettings(n_components=2, covariance_type="diag", seed=5, tol=1e-4)
    steps = tuple(em_steps(table.data, **settings.fit_kwargs()))
    events = (HistoryEvent(EventKind.SETTINGS_CHANGED, 2, 1, "settings changed"),)
    return Session(
        points=table.data,
        columns=table.columns,
        axes=(1, 0),
        settings=settings,
        fit=SavedFit(steps[0].mixture, steps, events, len(steps) - 1, FitState.CONVERGED),
        source=str(samples_dir / "old_faithful.csv"),
    )


def same_history(a, b) -> bool:
    """Snapshots equal field by field (NaN changes equal each other)."""

    def key(s):
        return (s.iteration, s.log_likelihood, repr(s.change), s.converged, s.n_samples)

    return len(a) == len(b) and all(
        key(x) == key(y) and x.mixture == y.mixture for x, y in zip(a, b, strict=True)
    )


def same_fit(a: SavedFit, b: SavedFit) -> bool:
    return (
        a.start == b.start
        and same_history(a.history, b.history)
        and (a.events, a.position, a.state, a.locks) == (b.events, b.position, b.state, b.locks)
    )


def version_1_body(**changes):
    """A session as GMM Studio saved it before the fit model (format version 1)."""
    body = {
        "format": "gmm-studio-session",
        "version": 1,
        "columns": ["x", "y"],
        "axes": [1, 0],
        "points": [[0.0, 0.0], [1.0, 0.5], [4.0, 4.0], [5.0, 4.5]],
        "settings": {"n_components": 2, "covariance_type": "spherical"},
        "model": {
            "covariance_type": "spherical",
            "weights": [0.5, 0.5],
            "means": [[0.5, 0.25], [4.5, 4.25]],
            "covariances": [0.3, 0.3],
        },
        "log_likelihood_history": [-20.0, -15.5, -14.25],
        "source": None,
    }
    body.update(changes)
    return body


def test_round_trip_is_exact(tmp_path, session):
    path = tmp_path / "work.gmms"
    save_session(path, session)
    back = load_session(path)
    np.testing.assert_array_equal(back.points, session.points)
    assert back.columns == session.columns
    assert back.axes == (1, 0)
    assert back.settings == session.settings
    assert back.mixture == session.mixture
    assert same_fit(back.fit, session.fit)  # start, every snapshot, events, position, state
    assert back.source == session.source


def test_a_saved_fit_reopens_as_it_was_and_resets_to_its_start(tmp_path, session):
    path = tmp_path / "work.gmms"
    save_session(path, session)
    back = load_session(path)
    model = FitModel(back.points, back.settings)
    model.load(back.points, back.settings, back.fit)
    assert model.state is FitState.CONVERGED
    assert same_history(model.history, session.fit.history)
    model.reset()
    assert model.step().mixture == session.fit.start


def test_version_1_sessions_still_open_paused_at_their_model(tmp_path):
    path = tmp_path / "old.gmms"
    path.write_text(json.dumps(version_1_body()))
    back = load_session(path)
    assert back.axes == (1, 0) and back.settings.covariance_type == "spherical"
    (entry,) = back.fit.history
    assert entry.iteration == 2 and entry.log_likelihood == -14.25
    assert back.fit.state is FitState.PAUSED and back.fit.start == back.mixture
    assert back.mixture.means.tolist() == [[0.5, 0.25], [4.5, 4.25]]


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
    doc["version"] = 3
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFileError) as info:
        load_session(path)
    assert str(info.value) == (
        "future.gmms: was saved by a newer GMM Studio (session format version 3; this version "
        "reads up to 2); update GMM Studio to open it"
    )


def _model(d):
    return d["fit"]["history"][-1]["model"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(points=[[1.0, 2.0], [3.0]]), "point 1 must be a list of 2 finite"),
        (lambda d: d.update(points=[[1.0, "2"]]), "point 0 must be a list of 2 finite"),
        (lambda d: d.update(columns="xy"), "'columns' must be a list of names"),
        (lambda d: d.update(columns=[]), "'columns' must name at least 1"),
        (lambda d: d.update(axes=[0, 0]), "axes must be two different column indices"),
        (lambda d: d.update(axes=[0, 5]), "axes must be two different column indices"),
        (lambda d: d["settings"].update(n_components=-3), "settings: n_components must be"),
        (lambda d: d["settings"].update(covariance_type="round"), "settings: covariance_type"),
        (lambda d: _model(d).update(weights=[0.5, 0.7]), "weights must be"),
        (lambda d: _model(d).update(covariance_type="full"), "full covariances must"),
        (lambda d: d.update(fit=[1, 2]), "'fit' must be an object or null"),
        (lambda d: d["fit"].update(history="high"), "'fit.history' must be a list"),
        (lambda d: d["fit"].update(state="dancing"), "'fit.state' must be one of"),
        (lambda d: d["fit"].update(position=99), "not in the history"),
        (lambda d: d["fit"].update(start=None), "needs its start"),
        (lambda d: d["fit"]["events"][0].update(kind="moved"), "'kind' must be one of"),
        (lambda d: d["fit"]["history"][0].update(log_likelihood=None), "'log_likelihood' must"),
        (lambda d: d.pop("version"), "missing or bad 'version'"),
        # Issue S2: numbers a valid mixture cannot hold, and a model of another K.
        (lambda d: _model(d).update(covariances=[[1.0, 1e400], [1.0, 1.0]]), "finite numbers"),
        (lambda d: _model(d).update(covariances=[[1.0, 10**400], [1.0, 1.0]]), "finite numbers"),
        (lambda d: _model(d).update(covariances=[[1.0, -2.0], [1.0, 1.0]]), "positive definite"),
        (lambda d: _model(d).update(covariances=[[1.0, 0.0], [1.0, 1.0]]), "positive definite"),
        (lambda d: _model(d).update(weights=[0.3, 0.3]), "sum to 1"),
        (lambda d: _model(d).update(weights=[1.5, -0.5]), "non-negative"),
        (lambda d: d.update(points=[[1.0, 10**400]]), "point 0 must be a list of 2 finite"),
        (lambda d: d["settings"].update(n_components=3), "3 components"),
    ],
)
def test_hand_edited_bodies(tmp_path, session, edit, message):
    path = tmp_path / "edited.gmms"
    save_session(path, session)
    assert_refused(path, json.loads(path.read_text()), edit, message, "")


def assert_refused(path, doc, edit, message, prefix):
    """Edit ``doc``, write it (infinity as the literal 1e400), and expect a clear refusal."""
    edit(doc)
    path.write_text(json.dumps(doc).replace("Infinity", "1e400"))
    with pytest.raises(DataFileError) as info:
        load_session(path)
    assert str(info.value).startswith(f"{path.name}: {prefix}")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["model"].update(weights=[0.5, 0.7]), "model: weights must be"),
        (lambda d: d["model"].update(covariance_type="full"), "model: full covariances must"),
        (lambda d: d.update(model=[1, 2]), "model must be an object"),
        (lambda d: d.update(log_likelihood_history="high"), "'log_likelihood_history' must be"),
        (lambda d: d["model"].update(covariances=[1e400, 1.0]), "finite numbers"),
        (lambda d: d["model"].update(covariances=[-1.0, 1.0]), "positive definite"),
        # A model of another K than the settings is refused, never re-initialised silently.
        (lambda d: d["settings"].update(n_components=3), "describe 2 components"),
    ],
)
def test_hand_edited_version_1_bodies(tmp_path, edit, message):
    path = tmp_path / "edited.gmms"
    assert_refused(path, version_1_body(), edit, message, "damaged session file: ")


def test_saving_never_fails_on_numbers_that_cannot_be_written(tmp_path, session):
    """A fit entry holding inf (a numerical corner) is dropped, the points are kept."""
    from gmm_studio.core import Mixture, Snapshot

    bad = session.fit.history[-1]
    broken = Mixture(bad.mixture.weights, bad.mixture.means, np.full((2, 2), np.inf), "diag")
    entry = Snapshot(bad.iteration + 1, broken, np.inf, np.inf, np.nan, False, bad.n_samples)
    fit = session.fit
    history = (*fit.history, entry)
    session.fit = SavedFit(fit.start, history, fit.events, len(history) - 1, FitState.PAUSED)
    path = tmp_path / "work.gmms"
    save_session(path, session)
    back = load_session(path)
    np.testing.assert_array_equal(back.points, session.points)
    assert same_history(back.fit.history, fit.history) and back.fit.state is FitState.STOPPED


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


def test_n_init_is_saved_and_sessions_without_it_read_as_one_start(tmp_path, session):
    path = tmp_path / "starts.gmms"
    settings = session.settings.replace(n_init=4)
    save_session(path, Session(**{**session.__dict__, "settings": settings}))
    assert load_session(path).settings.n_init == 4
    body = json.loads(path.read_text())
    del body["settings"]["n_init"]  # as sessions were written before n_init existed
    path.write_text(json.dumps(body))
    assert load_session(path).settings == session.settings.replace(n_init=1)


def labelled(session) -> Session:
    values = ["short", 3, None, 2.5] * (len(session.points) // 4)
    return Session(**{**session.__dict__, "true_labels": TrueLabels(values, "kind", True)})


def test_true_labels_round_trip_and_old_sessions_have_none(tmp_path, session):
    path = tmp_path / "labelled.gmms"
    save_session(path, labelled(session))
    back = load_session(path).true_labels
    assert back.column == "kind" and back.shown is True
    assert back.values.tolist() == labelled(session).true_labels.values.tolist()
    body = json.loads(path.read_text())
    del body["true_labels"]  # as sessions were written before labels were kept
    path.write_text(json.dumps(body))
    assert load_session(path).true_labels is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.update(values=t["values"][:-1]),
            "must hold 272 labels, one per point, not 271",
        ),
        (lambda t: t.update(values="abc"), "'true_labels.values' must be a list of 272 labels"),
        (lambda t: t["values"].__setitem__(5, [1, 2]), "true label 5 must be text, a finite"),
        (lambda t: t["values"].__setitem__(0, True), "true label 0 must be text"),
        (lambda t: t["values"].__setitem__(7, 1e400), "true label 7 must be text"),
        (lambda t: t.update(column=7), "'true_labels.column' must be a column name"),
        (lambda t: t.update(shown="yes"), "'true_labels.shown' must be true or false"),
    ],
)
def test_hostile_true_labels_are_refused(tmp_path, session, edit, message):
    path = tmp_path / "labels.gmms"
    save_session(path, labelled(session))
    doc = json.loads(path.read_text())
    assert_refused(path, doc, lambda d: edit(d["true_labels"]), message, "damaged session file: ")


def test_a_session_refuses_labels_of_other_points(session):
    with pytest.raises(ValueError, match="must hold 272 labels, one per point, not 3"):
        Session(**{**session.__dict__, "true_labels": TrueLabels(["a", "b", "c"], "kind")})
