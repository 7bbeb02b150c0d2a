"""The text reader never drops or changes data silently, and big headers stay fast."""

import numpy as np
import pytest

from gmm_studio.io import DataFileError, inspect_table, read_points
from gmm_studio.io.table import MAX_NAME_LENGTH, unique_names


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("error", ["#N/A", "#n/a", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!"])
def test_a_row_starting_with_a_spreadsheet_error_is_a_missing_value(tmp_path, error):
    path = write(tmp_path, "sheet.csv", f"x,y\n1,2\n{error},4\n5,{error}\n7,8\n")
    table = read_points(path)
    np.testing.assert_array_equal(table.data, [[1, 2], [7, 8]])
    assert table.n_dropped == 2
    assert any("dropped 2 rows" in note and "lines 3, 4" in note for note in table.notes)


def test_a_comment_is_still_a_comment(tmp_path):
    path = write(tmp_path, "c.csv", "# N/A here is a comment\nx,y\n1,2 # note\n#NAN,1\n3,4\n")
    table = read_points(path)
    np.testing.assert_array_equal(table.data, [[1, 2], [3, 4]])
    assert table.n_dropped == 0


def test_spreadsheet_errors_far_down_a_large_file_are_counted(tmp_path):
    # Large enough for the fast path; numpy's comment handling must not swallow the row.
    rows = [f"{i},{i + 1}" for i in range(5000)]
    rows[4000] = "#N/A,3"
    path = write(tmp_path, "big.csv", "a,b\n" + "\n".join(rows) + "\n")
    table = read_points(path)
    assert table.n_samples == 4999 and table.n_dropped == 1


def test_a_quoted_multi_line_cell_is_text_not_a_joined_number(tmp_path):
    path = write(tmp_path, "q.csv", 'a,b,c\n1,2,3\n"1\n2",5,6\n7,8,9\n')
    info = inspect_table(path)
    assert info.n_rows == 3
    assert list(info.lines) == [2, 3, 5]
    assert 12.0 not in info.values[:, 0]
    with pytest.raises(DataFileError, match=r"line 3 holds '1\\n2', not a number"):
        info.select(["a", "b"])
    np.testing.assert_array_equal(info.select(["b", "c"]).data, [[2, 3], [5, 6], [8, 9]])


def test_a_multi_line_text_cell_keeps_the_rows_in_step(tmp_path):
    path = write(tmp_path, "notes.csv", 'note,x,y\n"two\nlines",1,2\nplain,3,4\n')
    info = inspect_table(path)
    assert info.numeric == [False, True, True]
    assert info.preview[0][0] == "two\nlines"
    np.testing.assert_array_equal(info.select().data, [[1, 2], [3, 4]])


@pytest.mark.parametrize("cell", ["1_000", "1_0.5"])
def test_underscores_are_not_digit_separators(tmp_path, cell):
    path = write(tmp_path, "u.csv", f"x,y\n1,2\n{cell},4\n5,6\n")
    with pytest.raises(DataFileError, match=f"holds '{cell}', not a number"):
        read_points(path)
    rows = "\n".join(f"{i},{i}" for i in range(3000))
    big = write(tmp_path, "big.csv", f"x,y\n{rows}\n{cell},4\n")
    with pytest.raises(DataFileError, match=f"holds '{cell}', not a number"):
        read_points(big)


def test_many_repeated_names_are_made_unique():
    # (benchmarks/bench_wide_headers.py times this against pandas)
    names = ["a"] * 40_000 + ["b"] * 40_000
    out = unique_names(names)
    assert len(set(out)) == len(out) == 80_000
    assert out[:3] == ["a", "a_2", "a_3"] and out[40_000] == "b" and out[-1] == "b_40000"


def test_de_duplication_avoids_names_already_taken():
    assert unique_names(["a", "a_2", "a", "a", " ", ""]) == [
        "a", "a_2", "a_3", "a_4", "column 4", "column 5",
    ]  # fmt: skip


def test_forty_thousand_columns_read(tmp_path):
    header = ",".join(["v"] * 40_000)
    row = ",".join(["1"] * 40_000)
    info = inspect_table(write(tmp_path, "wide.csv", f"{header}\n{row}\n{row}\n"))
    assert len(set(info.columns)) == 40_000


def test_a_header_only_file_of_a_million_columns_is_refused(tmp_path):
    path = write(tmp_path, "header.csv", ",".join(f"c{i}" for i in range(1_000_000)) + "\n")
    with pytest.raises(DataFileError, match="has a header row but no data rows"):
        read_points(path)


def test_a_huge_column_name_is_shortened_with_a_note(tmp_path):
    long = "n" * 5_000_000 + "end"
    path = write(tmp_path, "long.txt", f"{long} y\n1 2\n3 4\n")
    info = inspect_table(path)
    assert len(info.columns[0]) == MAX_NAME_LENGTH
    assert info.columns[0].startswith("nnn") and info.columns[0].endswith("end")
    assert any("shortened" in note for note in info.notes)
    assert info.select().columns == [info.columns[0], "y"]
