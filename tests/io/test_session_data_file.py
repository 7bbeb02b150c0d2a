"""Sessions of a fit on a cluster: the data file referred to by path, checked on reading."""

import json

import pytest

from gmm_studio.io import DataFileError, DataFileRef, Session, load_session, save_session

COLUMNS = ["x", "y"]


def saved_with(tmp_path, data_file):
    path = tmp_path / "big.gmms"
    session = Session(points=[[0.0, 1.0], [2.0, 3.0]], columns=COLUMNS)
    save_session(path, session)
    doc = json.loads(path.read_text())
    doc["data_file"] = data_file
    path.write_text(json.dumps(doc))
    return path


def test_the_reference_round_trips_and_plain_sessions_have_none(tmp_path):
    ref = DataFileRef("/data/part-*.csv", ("x", "y"), "w", 100_000_000)
    path = tmp_path / "big.gmms"
    save_session(path, Session(points=[[0.0, 1.0]], columns=COLUMNS, data_file=ref))
    assert load_session(path).data_file == ref
    save_session(path, Session(points=[[0.0, 1.0]], columns=COLUMNS))
    assert "data_file" not in json.loads(path.read_text())
    assert load_session(path).data_file is None


@pytest.mark.parametrize(
    ("data_file", "message"),
    [
        ([1], "'data_file' must be an object or null"),
        ({"columns": COLUMNS, "n_samples": 5}, "'data_file.path' must be a file name"),
        ({"path": "a.npy", "columns": ["x"], "n_samples": 5}, "the session's columns"),
        ({"path": "a.npy", "columns": COLUMNS, "weights": 3, "n_samples": 5}, "column name"),
        ({"path": "a.npy", "columns": COLUMNS, "n_samples": 0}, "whole number ≥ 1"),
    ],
)
def test_a_damaged_reference_names_the_file_and_the_field(tmp_path, data_file, message):
    with pytest.raises(DataFileError, match=message) as info:
        load_session(saved_with(tmp_path, data_file))
    assert str(info.value).startswith("big.gmms: damaged session file: ")


def test_a_reference_must_match_the_session(tmp_path):
    with pytest.raises(ValueError, match="the session's columns"):
        Session(points=[[0.0, 1.0]], columns=COLUMNS, data_file=DataFileRef("a", ("x",), None, 1))
