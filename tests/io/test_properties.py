"""Property tests: whatever the bytes, the readers return a clean table or a DataFileError."""

import json
import string

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmm_studio.io import (
    DataFileError,
    PointTable,
    load_session,
    parse_pasted_text,
    read_points,
    write_points_csv,
)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_clean(table: PointTable) -> None:
    assert isinstance(table, PointTable)
    assert table.data.ndim == 2 and table.data.shape[1] >= 1
    assert table.data.dtype == np.float64
    assert np.isfinite(table.data).all()
    assert len(table.columns) == table.data.shape[1]
    assert all(isinstance(note, str) for note in table.notes)


def read_or_error(path):
    try:
        table = read_points(path)
    except DataFileError as error:
        assert str(error).startswith(path.name + ": ")
        assert error.problem and "\n" not in str(error)
        return None
    check_clean(table)
    return table


@SETTINGS
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".txt", ".npy", ".npz"]))
def test_random_bytes(tmp_path, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    read_or_error(path)


@SETTINGS
@given(data=st.binary(max_size=2000), magic=st.sampled_from([b"\x93NUMPY", b"PK\x03\x04"]))
def test_random_bytes_behind_numpy_or_zip_magic(tmp_path, data, magic):
    path = tmp_path / "magic.bin"
    path.write_bytes(magic + data)
    read_or_error(path)


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["", "NA", "nan", "abc", '"1"', "1e400", "-", " 2 ", "1,5", "#", "é"]),
)


@st.composite
def almost_valid_csv(draw):
    n_cols = draw(st.integers(1, 5))
    n_rows = draw(st.integers(0, 12))
    delimiter = draw(st.sampled_from([",", "\t", ";", " ", "|"]))
    header = draw(st.booleans())
    lines = []
    if header:
        names = draw(st.lists(st.text(string.ascii_letters, min_size=1, max_size=6),
                              min_size=n_cols, max_size=n_cols))  # fmt: skip
        lines.append(delimiter.join(names))
    for _ in range(n_rows):
        row = [repr(draw(st.floats(-1e9, 1e9))) for _ in range(n_cols)]
        if draw(st.integers(0, 5)) == 0:  # sometimes a broken cell, an extra or a missing one
            action = draw(st.sampled_from(["cell", "extra", "drop"]))
            if action == "cell":
                row[draw(st.integers(0, n_cols - 1))] = draw(cells)
            elif action == "extra":
                row.append(draw(cells))
            else:
                row.pop()
        lines.append(delimiter.join(row))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "# " + draw(st.text(max_size=10)))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    raw = text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"])),
                      errors="replace")  # fmt: skip
    if raw and draw(st.integers(0, 4)) == 0:  # sometimes a flipped byte
        i = draw(st.integers(0, len(raw) - 1))
        raw = raw[:i] + bytes([draw(st.integers(0, 255))]) + raw[i + 1 :]
    return raw


@SETTINGS
@given(raw=almost_valid_csv())
def test_almost_valid_csv(tmp_path, raw):
    path = tmp_path / "almost.csv"
    path.write_bytes(raw)
    read_or_error(path)


@SETTINGS
@given(text=st.text(max_size=500))
def test_random_pasted_text(text):
    try:
        table = parse_pasted_text(text)
    except DataFileError as error:
        assert str(error).startswith("pasted text: ")
        return
    check_clean(table)


@SETTINGS
@given(
    data=st.integers(1, 30).flatmap(
        lambda n: st.lists(
            st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=3, max_size=3),
            min_size=n,
            max_size=n,
        )
    ),
    names=st.lists(
        st.text(string.ascii_letters + " _,\"'é", min_size=1, max_size=8).filter(
            lambda s: s.strip() and s.strip() == s and not s.startswith("#")
        ),
        min_size=3,
        max_size=3,
        unique=True,
    ),
)
def test_points_csv_round_trip_is_exact(tmp_path, data, names):
    X = np.array(data)
    path = tmp_path / "points.csv"
    write_points_csv(path, X, names)
    # Named explicitly: a column that happens to look like labels or an index ("CLUSTER" of
    # small whole numbers) is otherwise left out by default, as in any file.
    table = read_points(path, names)
    assert table.columns == names
    np.testing.assert_array_equal(table.data, X)
    assert np.array_equal(np.signbit(table.data), np.signbit(X))  # even -0.0


@SETTINGS
@given(data=st.binary(max_size=600))
def test_random_session_bytes(tmp_path, data):
    path = tmp_path / "random.gmms"
    path.write_bytes(data)
    try:
        load_session(path)
    except DataFileError as error:
        assert str(error).startswith("random.gmms: ")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


SESSION_KEYS = [
    "columns", "points", "axes", "settings", "fit", "source", "version",
]  # fmt: skip


@SETTINGS
@given(
    key=st.sampled_from(SESSION_KEYS),
    value=json_values,
)
def test_hand_edited_session_bodies(tmp_path, key, value):
    from gmm_studio.core import FitSettings
    from gmm_studio.io import Session, save_session

    path = tmp_path / "edited.gmms"
    save_session(path, Session(points=[[1.0, 2.0], [3.0, 4.0]], columns=["a", "b"],
                               settings=FitSettings(n_components=1)))  # fmt: skip
    doc = json.loads(path.read_text())
    doc[key] = value
    path.write_text(json.dumps(doc))
    try:
        session = load_session(path)
    except DataFileError as error:
        assert str(error).startswith("edited.gmms: ")
        return
    assert session.points.shape[1] == len(session.columns)


@st.composite
def sessions(draw):
    from gmm_studio.core import COVARIANCE_TYPES, FitSettings, Mixture, Snapshot
    from gmm_studio.io import Session
    from gmm_studio.model import FitState, SavedFit

    d = draw(st.integers(2, 4))
    k = draw(st.integers(1, 3))
    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
    points = draw(st.lists(st.lists(finite, min_size=d, max_size=d), max_size=20))
    names = draw(st.lists(st.text(min_size=1, max_size=8), min_size=d, max_size=d, unique=True))
    mixture = None
    if draw(st.booleans()):
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
        a = rng.normal(size=(k, d, d))
        full = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(d)
        covariances = {
            "full": full,
            "tied": full[0],
            "diag": rng.uniform(0.1, 5, size=(k, d)),
            "spherical": rng.uniform(0.1, 5, size=k),
        }[covariance_type]
        mixture = Mixture(rng.dirichlet(np.ones(k)), rng.normal(size=(k, d)) * 1e3, covariances,
                          covariance_type)  # fmt: skip
    axes = draw(st.permutations(range(d)))[:2]
    settings = FitSettings(
        n_components=k if mixture is not None else draw(st.integers(1, 20)),
        covariance_type="full" if mixture is None else mixture.covariance_type,
        tol=draw(st.floats(0, 1)),
        reg_covar=draw(st.floats(0, 1)),
        max_iter=draw(st.integers(0, 5000)),
        seed=draw(st.none() | st.integers(0, 2**31)),
    )
    n = len(points)
    fit = None
    if mixture is not None and n >= k:
        totals = draw(st.lists(finite, max_size=10))
        history = tuple(
            Snapshot(i, mixture, ll, ll / n, draw(st.just(np.nan) | finite), False, n)
            for i, ll in enumerate(totals)
        )
        state = draw(st.sampled_from([FitState.PAUSED, FitState.STOPPED, FitState.CONVERGED]))
        fit = SavedFit(mixture, history, (), len(history) - 1, state)
    return Session(np.array(points, dtype=float).reshape(-1, d), names, tuple(axes), settings,
                   fit, draw(st.none() | st.text(max_size=20)))  # fmt: skip


@SETTINGS
@given(session=sessions())
def test_session_round_trip_is_exact(tmp_path, session):
    from gmm_studio.io import save_session

    path = tmp_path / "round.gmms"
    save_session(path, session)
    back = load_session(path)
    assert back.points.tobytes() == session.points.tobytes()
    assert back.columns == session.columns and back.axes == session.axes
    assert back.settings == session.settings
    assert back.mixture == session.mixture
    if session.fit is None:
        assert back.fit is None
    else:
        a, b = back.fit, session.fit
        assert (a.start, a.events, a.position, a.state) == (b.start, b.events, b.position, b.state)
        assert [(s.iteration, s.log_likelihood, repr(s.change), s.mixture) for s in a.history] == [
            (s.iteration, s.log_likelihood, repr(s.change), s.mixture) for s in b.history
        ]
    assert back.source == session.source


@SETTINGS
@given(
    data=st.binary(max_size=600),
    prefix=st.sampled_from([b"", b'{"format": "gmm-studio-model", "version": 1, ']),
)
def test_random_model_json_bytes(tmp_path, data, prefix):
    from gmm_studio.io import read_model_json

    path = tmp_path / "random.json"
    path.write_bytes(prefix + data)
    try:
        read_model_json(path)
    except DataFileError as error:
        assert str(error).startswith("random.json: ")
