"""Lazy readers: the same points as the in-memory readers, chunk by chunk, on a real cluster."""

import dask.array as da
import numpy as np
import pandas as pd
import pytest

from gmm_studio import cluster
from gmm_studio.cluster.lazy_files import read_lazy
from gmm_studio.core import fit
from gmm_studio.io import DataFileError, read_points


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(900, 3))
    values[100:130, 1] = np.nan
    values[700, 2] = np.inf
    return pd.DataFrame(
        {
            "a": values[:, 0],
            "b": values[:, 1],
            "c": values[:, 2],
            "w": rng.integers(0, 4, 900).astype(float),
            "name": ["p"] * 900,
        }
    )


def check_same_points(table, expected, chunks_at_least=2):
    assert table.data.numblocks[0] >= chunks_at_least
    assert not any(np.isnan(c) for c in table.data.chunks[0])
    np.testing.assert_array_equal(table.data.compute(), expected.data)
    assert table.n_dropped == expected.n_dropped == 31
    assert "dropped 31 rows with missing or non-finite values" in table.notes


def test_csv_file_and_glob(client, tmp_path, frame):
    frame.to_csv(tmp_path / "all.csv", index=False)
    frame.iloc[:400].to_csv(tmp_path / "part-1.csv", index=False)
    frame.iloc[400:].to_csv(tmp_path / "part-2.csv", index=False)
    expected = read_points(tmp_path / "all.csv", ["a", "b", "c"])
    for source in (tmp_path / "all.csv", str(tmp_path / "part-*.csv")):
        table = read_lazy(source, ["a", "b", "c"], weights="w", chunk_bytes=5000)
        check_same_points(table, expected)
        assert table.columns == ["a", "b", "c"] and table.weights_column == "w"
        keep = np.isfinite(frame[["a", "b", "c"]].to_numpy()).all(axis=1)
        np.testing.assert_array_equal(table.sample_weight.compute(), frame["w"][keep])


def test_default_columns_skip_text_and_weights(client, tmp_path, frame):
    frame.to_csv(tmp_path / "all.csv", index=False)
    table = read_lazy(tmp_path / "all.csv", weights="w")
    assert table.columns == ["a", "b", "c"]
    assert "skipped non-numeric columns: name" in table.notes


def test_parquet_file_and_folder(client, tmp_path, frame):
    frame.to_csv(tmp_path / "all.csv", index=False)
    expected = read_points(tmp_path / "all.csv", ["a", "b", "c"])
    frame.to_parquet(tmp_path / "all.parquet")
    (tmp_path / "folder").mkdir()
    frame.iloc[:450].to_parquet(tmp_path / "folder" / "0.parquet")
    frame.iloc[450:].to_parquet(tmp_path / "folder" / "1.parquet")
    check_same_points(read_lazy(tmp_path / "all.parquet", [0, 1, 2]), expected, 1)
    check_same_points(read_lazy(tmp_path / "folder", ["a", "b", "c"]), expected)


def test_npy_is_read_in_chunks_of_rows(client, tmp_path, frame):
    path = tmp_path / "points.npy"
    np.save(path, frame[["a", "b", "c"]].to_numpy())
    table = read_lazy(path, chunk_bytes=2400)  # 100 rows of 3 columns per chunk
    assert table.columns == ["x0", "x1", "x2"]
    check_same_points(table, read_points(path), 9)


def test_a_chunk_of_only_missing_values_is_dropped_whole(client, tmp_path):
    X = np.random.default_rng(1).normal(size=(1000, 2))
    X[200:400] = np.nan  # chunks of 100 rows: two of them hold nothing
    path = tmp_path / "holes.npy"
    np.save(path, X)
    table = read_lazy(path, chunk_bytes=1600)
    assert table.data.chunks[0] == (100,) * 8 and table.n_dropped == 200
    expected_table = read_points(path)
    kwargs = dict(seed=3, max_iter=15, tol=0)
    expected = fit(expected_table.data, 2, **kwargs)
    got = cluster.fit(table.data, 2, **kwargs)
    np.testing.assert_allclose(got.log_likelihood_trace, expected.log_likelihood_trace, rtol=1e-10)
    # A chunk with no rows at all (as a boolean selection leaves them) adds nothing.
    X = expected_table.data
    holey = da.from_array(X, chunks=((300, 0, 0, len(X) - 300), (2,)))
    got = cluster.fit(holey, 2, **kwargs)
    np.testing.assert_allclose(got.log_likelihood_trace, expected.log_likelihood_trace, rtol=1e-10)


@pytest.mark.parametrize(
    ("columns", "weights", "message"),
    [
        (["a", "zz"], None, "no column named 'zz'"),
        (["a", "name"], None, "column 'name' is not numeric"),
        (["a", "b"], "b", "cannot be both data and weights"),
        ([], None, "no numeric column to fit"),
    ],
)
def test_column_problems_name_the_file(client, tmp_path, frame, columns, weights, message):
    frame.to_csv(tmp_path / "all.csv", index=False)
    with pytest.raises(DataFileError, match=message) as caught:
        read_lazy(tmp_path / "all.csv", columns, weights=weights)
    assert str(caught.value).startswith("all.csv: ")


def test_one_column_is_one_dimensional_data(client, tmp_path, frame):
    frame.to_csv(tmp_path / "all.csv", index=False)
    table = read_lazy(tmp_path / "all.csv", ["a"])
    assert table.columns == ["a"] and table.data.shape == (len(frame), 1)
    np.testing.assert_array_equal(table.data.compute()[:, 0], frame["a"].to_numpy())


def test_file_problems(client, tmp_path, frame):
    with pytest.raises(DataFileError, match="no such file"):
        read_lazy(tmp_path / "missing.csv")
    with pytest.raises(DataFileError, match="no file matches"):
        read_lazy(str(tmp_path / "none-*.csv"))
    frame.assign(w=-frame["w"] - 1).to_csv(tmp_path / "negative.csv", index=False)
    with pytest.raises(DataFileError, match="negative weights"):
        read_lazy(tmp_path / "negative.csv", weights="w")
    text = pd.concat([frame] * 4, ignore_index=True).astype({"b": object})
    text.loc[3500, "b"] = "oops"  # beyond the head the columns were recognised from
    text.to_csv(tmp_path / "text.csv", index=False)
    with pytest.raises(DataFileError, match=r"text\.csv: cannot read it in chunks") as caught:
        read_lazy(tmp_path / "text.csv", ["a", "b"], chunk_bytes=5000)
    assert "\n" not in str(caught.value)


def test_lazy_points_fit_as_in_memory(client, tmp_path, frame):
    frame.to_csv(tmp_path / "all.csv", index=False)
    table = read_lazy(tmp_path / "all.csv", ["a", "b", "c"], chunk_bytes=20_000)
    kwargs = dict(seed=0, max_iter=15, tol=0)
    expected = fit(read_points(tmp_path / "all.csv", ["a", "b", "c"]).data, 2, **kwargs)
    got = cluster.fit(table.data, 2, **kwargs)
    assert isinstance(table.data, da.Array)
    np.testing.assert_allclose(got.log_likelihood_trace, expected.log_likelihood_trace, rtol=1e-10)
