"""Reading .npy and .npz files, never with pickles."""

import numpy as np
import pytest

from gmm_studio.io import DataFileError, inspect_table, read_points

X = np.arange(12, dtype=float).reshape(6, 2) / 7


def test_npy_2d(tmp_path):
    np.save(tmp_path / "a.npy", X)
    table = read_points(tmp_path / "a.npy")
    np.testing.assert_array_equal(table.data, X)
    assert table.columns == ["x", "y"]
    assert table.spec.kind == "npy"


def test_npy_recognised_by_content_whatever_the_name(tmp_path):
    np.save(tmp_path / "a.npy", X)
    (tmp_path / "a.dat").write_bytes((tmp_path / "a.npy").read_bytes())
    np.testing.assert_array_equal(read_points(tmp_path / "a.dat").data, X)


def test_integer_and_float32_arrays_become_float64(tmp_path):
    np.save(tmp_path / "i.npy", np.array([[1, 2], [3, 4]], dtype=np.int16))
    table = read_points(tmp_path / "i.npy")
    assert table.data.dtype == np.float64
    assert table.data.tolist() == [[1, 2], [3, 4]]


def test_record_array_columns_are_its_fields(tmp_path):
    rec = np.zeros(3, dtype=[("width", "f8"), ("label", "U5"), ("height", "i4")])
    rec["width"] = [1, 2, 3]
    rec["height"] = [4, 5, 6]
    np.save(tmp_path / "r.npy", rec)
    info = inspect_table(tmp_path / "r.npy")
    assert info.columns == ["width", "label", "height"]
    assert info.numeric == [True, False, True]
    assert read_points(tmp_path / "r.npy").data.tolist() == [[1, 4], [2, 5], [3, 6]]


def test_npz_single_array_and_preferred_key(tmp_path):
    np.savez(tmp_path / "one.npz", anything=X)
    np.testing.assert_array_equal(read_points(tmp_path / "one.npz").data, X)
    np.savez(tmp_path / "two.npz", X=X, labels=np.arange(6), other=X * 2)
    np.testing.assert_array_equal(read_points(tmp_path / "two.npz").data, X)


def test_npz_one_d_arrays_are_named_columns(tmp_path):
    np.savez_compressed(tmp_path / "cols.npz", speed=X[:, 0], mass=X[:, 1])
    table = read_points(tmp_path / "cols.npz")
    assert table.columns == ["speed", "mass"]
    np.testing.assert_array_equal(table.data, X)


def test_npz_with_column_names(tmp_path):
    np.savez(tmp_path / "named.npz", data=X, columns=np.array(["a", "b"]))
    assert read_points(tmp_path / "named.npz").columns == ["a", "b"]


def test_non_finite_values_in_npy_are_dropped_and_counted(tmp_path):
    Y = X.copy()
    Y[2, 1] = np.nan
    Y[4, 0] = -np.inf
    np.save(tmp_path / "holes.npy", Y)
    table = read_points(tmp_path / "holes.npy")
    assert table.n_dropped == 2
    assert "rows 3, 5" in table.notes[-1]
    with pytest.raises(DataFileError, match="2 rows with missing or non-finite"):
        read_points(tmp_path / "holes.npy", drop_incomplete=False)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.arange(5.0), "1-D"),
        (np.zeros((2, 2, 2)), "3 dimensions"),
        (np.array([["a", "b"], ["c", "d"]]), "no numeric columns"),
        (np.zeros((0, 2)), "holds no data rows"),
    ],
)
def test_npy_shapes_that_are_not_point_tables(tmp_path, array, message):
    np.save(tmp_path / "odd.npy", array)
    with pytest.raises(DataFileError, match=message):
        read_points(tmp_path / "odd.npy")


def test_npz_with_ambiguous_arrays(tmp_path):
    np.savez(tmp_path / "many.npz", first=X, second=X)
    with pytest.raises(DataFileError, match="several 2-D arrays"):
        read_points(tmp_path / "many.npz")
    np.savez(tmp_path / "uneven.npz", a=np.arange(3.0), b=np.arange(4.0))
    with pytest.raises(DataFileError, match="different lengths"):
        read_points(tmp_path / "uneven.npz")


def test_float64_npy_is_memory_mapped_and_fitted_without_a_copy(tmp_path):
    from gmm_studio.core.blockwise import BlockData
    from gmm_studio.core.initialization import check_data

    X = np.random.default_rng(0).normal(size=(5000, 2))
    path = tmp_path / "big.npy"
    np.save(path, X)
    table = read_points(path)
    assert isinstance(table.data, np.memmap) or isinstance(table.data.base, np.memmap)
    assert np.shares_memory(check_data(table.data), table.data)
    assert np.shares_memory(BlockData(check_data(table.data)).X, table.data)
    np.testing.assert_array_equal(table.data, X)
