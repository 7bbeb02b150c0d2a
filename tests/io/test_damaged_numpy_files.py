"""Damaged, unusual and hostile ``.npy``/``.npz`` files: always a `DataFileError` naming the file."""

import tracemalloc

import numpy as np
import pytest

from gmm_studio.io import DataFileError, read_points

from .hostile_files import Member, array_header, npy_bytes, npy_header, zip_bomb, zip_bytes

POINTS = np.arange(20.0).reshape(10, 2)


def problem_of(path) -> str:
    with pytest.raises(DataFileError) as caught:
        read_points(path)
    assert caught.value.path == path and str(caught.value).startswith(f"{path.name}: ")
    return caught.value.problem


def with_peak_memory(function, *args):
    """``function(*args)`` and the most memory Python allocated while it ran."""
    tracemalloc.start()
    try:
        result = function(*args)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def corrupt_deflate_member() -> bytes:
    """A deflated member whose stream starts with a reserved block type (zlib.error)."""
    member = Member("X.npy", npy_bytes(POINTS), method=8)
    member.stored = b"\x07" + member.stored[1:]
    return zip_bytes([member])


def test_corrupt_compressed_data(tmp_path):
    problem = problem_of(write(tmp_path, "corrupt.npz", corrupt_deflate_member()))
    assert problem.startswith("damaged or truncated .npz archive")


def test_encrypted_archive(tmp_path):
    data = zip_bytes([Member("X.npy", npy_bytes(POINTS), flags=0x1)])
    assert "encrypted" in problem_of(write(tmp_path, "secret.npz", data))


def test_unsupported_compression_method(tmp_path):
    data = zip_bytes([Member("X.npy", npy_bytes(POINTS), method=99)])  # AES in real zips
    assert "compression method GMM Studio cannot read" in problem_of(
        write(tmp_path, "aes.npz", data)
    )


def test_unsupported_zip_version(tmp_path):
    data = zip_bytes([Member("X.npy", npy_bytes(POINTS), version=99)])
    assert "zip feature GMM Studio cannot read" in problem_of(write(tmp_path, "v99.npz", data))


UNTERMINATED_HEADER = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2" + " " * 40 + "\n"


def test_header_that_breaks_the_python_tokenizer(tmp_path):
    # Fails to parse, then numpy's Python 2 fallback runs the tokenizer, which raises its own
    # TokenError on the unclosed bracket.
    npy = write(tmp_path, "bad.npy", npy_header(UNTERMINATED_HEADER) + bytes(48))
    assert problem_of(npy).startswith("not a valid .npy file (bad header")
    npz = write(tmp_path, "bad.npz", zip_bytes([Member("X.npy", npy_header(UNTERMINATED_HEADER))]))
    assert "array 'X' is not a valid .npy array" in problem_of(npz)


def test_huge_header_claim_is_refused_without_reading_it(tmp_path):
    path = write(tmp_path, "huge.npy", npy_header(b"{", version=2)[:8] + b"\xff\xff\xff\xff{")
    assert "too large to be a real one" in problem_of(path)


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = write(tmp_path, "bomb.npz", zip_bomb(1 << 30))  # 1 GiB of zeros in 1 MB
    assert path.stat().st_size < 2 << 20
    problem, peak = with_peak_memory(problem_of, path)
    assert problem.startswith("refused: the .npz archive would expand to 1.0 GB")
    assert "zip bomb" in problem
    assert peak < 16 << 20


def test_only_the_declared_array_is_inflated(tmp_path):
    # The header declares 10 rows; the member goes on with 256 MB of zeros. Reading inflates
    # the 10 rows only.
    path = write(tmp_path, "trailing.npz", zip_bomb(256 << 20, declared_rows=10))
    table, peak = with_peak_memory(read_points, path)
    assert table.data.shape == (10, 2)
    assert peak < 16 << 20


def test_npy_declaring_more_data_than_the_file_holds(tmp_path):
    path = write(tmp_path, "short.npy", array_header((1000, 2)) + bytes(100))
    assert problem_of(path).startswith("damaged or truncated .npy file")


@pytest.mark.parametrize(
    ("arrays", "expected"),
    [
        ({"cube": np.zeros((2, 2, 2))}, "holds no table: its arrays ('cube') are 3-D"),
        ({"a": np.float64(1.0), "b": np.float64(2.0)}, "('a', 'b') are 0-D"),
        ({"s": np.float64(1.0), "c": np.zeros((2, 2, 2))}, "are 0-D and 3-D"),
    ],
)
def test_npz_without_tables_or_columns(tmp_path, arrays, expected):
    np.savez(tmp_path / "odd.npz", **arrays)
    problem = problem_of(tmp_path / "odd.npz")
    assert expected in problem and "different lengths" not in problem


def test_thousands_of_arrays_are_summarised(tmp_path):
    np.savez(tmp_path / "many2d.npz", **{f"table_{i:04d}": POINTS for i in range(3000)})
    problem = problem_of(tmp_path / "many2d.npz")
    assert "several 2-D arrays (3,000: 'table_0000', " in problem
    assert "'table_0004' and 2,995 more" in problem and len(problem) < 300
    np.savez(tmp_path / "many1d.npz", **{f"c{i}": np.zeros(i + 1) for i in range(3000)})
    problem = problem_of(tmp_path / "many1d.npz")
    assert "have different lengths (1, 2, 3, 4, 5, ...)" in problem and len(problem) < 300
