"""Every bad input of the import path gets a DataFileError naming the file and the problem."""

import os
import pathlib
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from gmm_studio.io import DataFileError, inspect_table, parse_pasted_text, read_points
from gmm_studio.io.files import available_memory

REPO = pathlib.Path(__file__).resolve().parents[2]


def problem_of(path, **kwargs) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        read_points(path, **kwargs)
    error = info.value
    assert str(error).startswith(f"{pathlib.Path(path).name}: ")
    assert "\n" not in str(error)
    return error


def make(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_missing_file(tmp_path):
    error = problem_of(tmp_path / "nothere.csv")
    assert error.problem == "file not found"
    assert error.path == tmp_path / "nothere.csv"


def test_a_folder(tmp_path):
    (tmp_path / "data.csv").mkdir()
    assert problem_of(tmp_path / "data.csv").problem == "is a folder, not a file"


def test_a_path_through_a_file(tmp_path):
    make(tmp_path, "notafolder", "x")
    assert "file not found" in problem_of(tmp_path / "notafolder" / "data.csv").problem


def test_a_fifo_is_refused_instead_of_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert "not a regular file" in problem_of(fifo).problem


def _read_as_unprivileged(path: pathlib.Path) -> subprocess.CompletedProcess:
    """Read ``path`` in a child process that has no right to bypass file permissions.

    A root process reads any file whatever its mode (CAP_DAC_OVERRIDE), so as root the child
    drops that capability with setpriv; otherwise a plain child is enough.
    """
    code = (
        "import sys\n"
        "from gmm_studio.io import DataFileError, read_points\n"
        "try:\n"
        "    read_points(sys.argv[1])\n"
        "except DataFileError as error:\n"
        "    print(error)\n"
    )
    command = [sys.executable, "-c", code, str(path)]
    if os.geteuid() == 0:
        setpriv = "/usr/bin/setpriv"
        if not os.path.exists(setpriv):
            pytest.skip("running as root without setpriv: cannot drop the override capability")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    if done.returncode != 0 and done.stderr.startswith("setpriv:"):
        pytest.skip(f"cannot drop capabilities here: {done.stderr.strip()}")
    return done


def test_no_read_permission(tmp_path):
    path = make(tmp_path, "secret.csv", "x,y\n1,2\n3,4\n")
    path.chmod(0)
    done = _read_as_unprivileged(path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "secret.csv: no permission to read this file"
    path.chmod(0o600)  # and the same file readable again reads fine
    assert _read_as_unprivileged(path).stdout == ""


def test_empty_file(tmp_path):
    assert problem_of(make(tmp_path, "empty.csv", "")).problem == "the file is empty"
    assert problem_of(make(tmp_path, "blank.csv", " \n\n")).problem == "the file is empty"


def test_only_comments(tmp_path):
    error = problem_of(make(tmp_path, "notes.csv", "# nothing here\n# yet\n"))
    assert "only comments" in error.problem


def test_header_only(tmp_path):
    error = problem_of(make(tmp_path, "header.csv", "x,y,z\n"))
    assert error.problem == "has a header row but no data rows"


def test_one_numeric_column_is_one_dimensional_data(tmp_path):
    table = read_points(make(tmp_path, "one.csv", "x\n1\n2\n3\n"))
    assert table.columns == ["x"] and table.data.shape == (3, 1)
    table = read_points(make(tmp_path, "mixed.csv", "name,x\na,1\nb,2\n"))
    assert table.columns == ["x"]
    assert "skipped non-numeric columns: name" in table.notes


def test_no_numeric_columns(tmp_path):
    error = problem_of(make(tmp_path, "words.csv", "name,city\nann,oslo\nbob,rome\n"))
    assert error.problem == "no numeric columns (found only text columns: name, city)"


def test_ragged_rows(tmp_path):
    error = problem_of(make(tmp_path, "ragged.csv", "x,y\n1,2\n3,4,5\n6,7\n"))
    assert error.problem == "ragged rows: line 3 has 3 fields but the header (line 1) has 2"
    error = problem_of(make(tmp_path, "short.csv", "1,2\n3\n"))
    assert error.problem == "ragged rows: line 2 has 1 field but line 1 has 2"


def test_text_in_a_numeric_column(tmp_path):
    path = make(tmp_path, "typo.csv", "x,y\n1,2\n3,4\n5,4.2.1\n7,8\n")
    error = problem_of(path)
    assert error.problem == "text in numeric column 'y': line 4 holds '4.2.1', not a number"
    # the other columns of the same file stay usable
    info = inspect_table(make(tmp_path, "typo3.csv", "x,y,z\n1,2,3\n3,4,5\n5,oops,6\n7,8,9\n"))
    assert read_points(info.source, ["x", "z"]).n_samples == 4


def test_nan_and_infinite_rows_are_reported_so_they_can_be_dropped(tmp_path):
    path = make(tmp_path, "holes.csv", "x,y\n1,2\nnan,3\n4,inf\n5,6\n")
    assert inspect_table(path).incomplete_count() == 2
    error = problem_of(path, drop_incomplete=False)
    assert error.problem == (
        "2 rows with missing or non-finite (NaN or infinite) values (lines 3, 4); "
        "drop them to continue"
    )
    assert read_points(path).n_dropped == 2
    every = problem_of(make(tmp_path, "allnan.csv", "x,y\n1,nan\ninf,2\n"))
    assert "every row has a missing or non-finite" in every.problem


def test_latin1_text_is_decoded_with_a_note_not_an_error(tmp_path):
    path = make(tmp_path, "latin.csv", "x,y\n1,2\n3,4\n# café\n".encode("latin-1"))
    table = read_points(path)
    assert table.n_samples == 2
    assert table.notes == ["not UTF-8 (first odd byte on line 4); read as Windows-1252 text"]


def test_binary_garbage_named_csv(tmp_path):
    rng = np.random.default_rng(0)
    error = problem_of(make(tmp_path, "image.csv", rng.bytes(5000)))
    assert error.problem == "not a text table: it holds binary data"
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert "binary" in problem_of(make(tmp_path, "picture.csv", png)).problem


def test_npy_holding_pickled_objects(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, [1, 2]], dtype=object), allow_pickle=True)
    error = problem_of(path)
    assert "pickled" in error.problem and "never loads" in error.problem


def test_a_plain_pickle_named_npy(tmp_path):
    path = make(tmp_path, "fake.npy", pickle.dumps([[1.0, 2.0], [3.0, 4.0]]))
    assert "not a valid .npy file" in problem_of(path).problem


def test_npz_holding_pickled_objects(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, X=np.array([None, 1], dtype=object))
    assert "pickled" in problem_of(path).problem


def test_truncated_npz(tmp_path):
    path = tmp_path / "points.npz"
    np.savez_compressed(path, X=np.random.default_rng(0).normal(size=(500, 2)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = problem_of(path)
    assert error.problem.startswith("damaged or truncated .npz archive")


def test_truncated_npy(tmp_path):
    path = tmp_path / "points.npy"
    np.save(path, np.random.default_rng(0).normal(size=(500, 2)))
    path.write_bytes(path.read_bytes()[:-100])
    assert problem_of(path).problem.startswith("damaged or truncated .npy file")


def test_file_too_large_for_memory_is_refused_before_reading(tmp_path):
    available = available_memory()
    assert available is not None, "this platform reports its available memory"
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:
        f.write(b"x,y\n1,2\n")
        try:
            f.truncate(max(available * 8, 1 << 40))  # sparse: no disk space, no reading
        except OSError:
            pytest.skip("this file system cannot hold a sparse file that large")
    error = problem_of(path)
    assert error.problem.startswith("too large to load: reading it needs about")
    assert "available" in error.problem


def test_npy_header_claiming_more_than_memory_is_refused(tmp_path):
    path = tmp_path / "claims.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<i4", "fortran_order": False, "shape": (10**12, 2)}
        )
    assert problem_of(path).problem.startswith("too large to load")


def test_float64_npy_header_claiming_more_rows_than_the_file_holds_is_truncated(tmp_path):
    # float64 tables are memory-mapped (no memory limit): the file's length is what counts.
    path = tmp_path / "claims.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)}
        )
    assert problem_of(path).problem.startswith("damaged or truncated .npy file")


def test_column_choice_problems(tmp_path):
    path = make(tmp_path, "abc.csv", "a,b,label\n1,2,u\n3,4,v\n")
    assert problem_of(path, columns=["a", "zz"]).problem == (
        "no column named 'zz' (columns: a, b, label)"
    )
    assert problem_of(path, columns=["a", "7"]).problem.startswith("no column 7")
    assert problem_of(path, columns=["a", "label"]).problem == "column 'label' is not numeric"
    assert problem_of(path, columns=["a", "a"]).problem == "column 'a' is chosen twice"
    assert read_points(path, columns=["a"]).columns == ["a"]


def test_pasted_text_errors_name_the_paste():
    with pytest.raises(DataFileError, match=r"^pasted text: nothing to paste$"):
        parse_pasted_text("  \n")
    with pytest.raises(DataFileError, match=r"^pasted text: no numeric columns"):
        parse_pasted_text("a\nb\n")


def test_zip_that_is_not_npz(tmp_path):
    path = tmp_path / "archive.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    assert problem_of(path).problem == "the .npz archive holds no arrays"
