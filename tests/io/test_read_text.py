"""Reading CSV, TSV and whitespace text: delimiters, headers, quotes, comments, encodings."""

import numpy as np
import pytest

from gmm_studio.io import inspect_table, parse_pasted_text, read_points


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("comma.csv", "x,y\n1,2\n3.5,-4e-3\n"),
        ("tab.tsv", "x\ty\n1\t2\n3.5\t-4e-3\n"),
        ("semicolon.csv", "x;y\n1;2\n3.5;-4e-3\n"),
        ("spaces.txt", "x   y\n1  2\n 3.5\t-4e-3\n"),
        ("bar.txt", "x|y\n1|2\n3.5|-4e-3\n"),
        ("crlf.csv", "x,y\r\n1,2\r\n3.5,-4e-3\r\n"),
        ("spaced.csv", "x, y\n1, 2\n3.5, -4e-3\n"),
        ("quoted.csv", '"x","y"\n"1","2"\n"3.5","-4e-3"\n'),
    ],
)
def test_delimiters_and_headers_are_recognised(tmp_path, name, content):
    table = read_points(write(tmp_path, name, content))
    assert table.columns == ["x", "y"]
    np.testing.assert_array_equal(table.data, [[1, 2], [3.5, -4e-3]])
    assert table.n_dropped == 0


def test_no_header_gets_made_up_names(tmp_path):
    table = read_points(write(tmp_path, "plain.csv", "1,2,3\n4,5,6\n"))
    assert table.columns == ["x0", "x1", "x2"]
    np.testing.assert_array_equal(table.data, [[1, 2, 3], [4, 5, 6]])
    assert read_points(write(tmp_path, "two.txt", "1 2\n4 5\n")).columns == ["x", "y"]


def test_comments_blank_lines_bom_and_quoted_delimiters(tmp_path):
    content = (
        "\ufeff# exported by a lab instrument\n"
        "\n"
        'name,"width, mm",height\n'
        '"sample, first",1.5,2 # a trailing comment\n'
        "# a comment between rows\n"
        "second,3,4\n"
    )
    info = inspect_table(write(tmp_path, "lab.csv", content))
    assert info.columns == ["name", "width, mm", "height"]
    assert info.numeric == [False, True, True]
    assert info.preview[0] == ["sample, first", "1.5", "2"]
    assert list(info.lines) == [4, 6]
    table = info.select()
    np.testing.assert_array_equal(table.data, [[1.5, 2], [3, 4]])
    assert "skipped non-numeric columns: name" in table.notes
    assert table.column_indices == [1, 2]


def test_columns_by_name_and_by_index(tmp_path):
    path = write(tmp_path, "abc.csv", "a,b,c\n1,2,3\n4,5,6\n")
    assert read_points(path, ["c", "a"]).data.tolist() == [[3, 1], [6, 4]]
    assert read_points(path, [2, "0"]).columns == ["c", "a"]


def test_missing_and_non_finite_rows_are_dropped_and_counted(tmp_path):
    path = write(tmp_path, "gaps.csv", "x,y\n1,2\n,3\nNA,4\n5,inf\n6,nan\n7,8\n")
    info = inspect_table(path)
    assert info.incomplete_count() == 4
    table = read_points(path)
    assert table.n_dropped == 4
    np.testing.assert_array_equal(table.data, [[1, 2], [7, 8]])
    assert any("dropped 4 rows" in note and "lines 3, 4, 5, 6" in note for note in table.notes)


def test_incomplete_rows_only_count_in_the_chosen_columns(tmp_path):
    path = write(tmp_path, "part.csv", "a,b,c\n1,2,\n3,4,5\n6,7,8\n")
    info = inspect_table(path)
    assert info.incomplete_count([0, 1]) == 0
    assert info.incomplete_count([0, 2]) == 1
    assert read_points(path, ["a", "b"]).n_dropped == 0


def test_latin1_text_is_read_with_a_note(tmp_path):
    content = "température;pression\n1;2\n3;4\n".encode("latin-1")
    table = read_points(write(tmp_path, "meteo.csv", content))
    assert table.columns == ["température", "pression"]
    np.testing.assert_array_equal(table.data, [[1, 2], [3, 4]])
    assert any("not UTF-8" in n and "Windows-1252" in n for n in table.notes)


def test_utf16_with_bom_is_read(tmp_path):
    content = "x\ty\n1\t2\n3\t4\n".encode("utf-16")
    table = read_points(write(tmp_path, "excel.txt", content))
    np.testing.assert_array_equal(table.data, [[1, 2], [3, 4]])


def test_trailing_separators_are_tolerated(tmp_path):
    table = read_points(write(tmp_path, "trail.csv", "x,y,\n1,2,\n3,4,\n"))
    np.testing.assert_array_equal(table.data, [[1, 2], [3, 4]])


def test_the_shipped_samples_read(samples_dir):
    faithful = read_points(samples_dir / "old_faithful.csv")
    assert faithful.data.shape == (272, 2)
    assert faithful.columns == ["eruptions", "waiting"]
    seed = read_points(samples_dir / "seed_example.csv")
    assert seed.data.shape == (100, 2)
    np.testing.assert_array_equal(
        seed.data, np.loadtxt(samples_dir / "seed_example.csv", delimiter=",", skiprows=1)
    )


def _big_csv(tmp_path, rows, header="x,y", extra=""):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(rows, 2)) * [1.0, 1e6]
    path = tmp_path / "big.csv"
    with open(path, "w") as f:
        f.write(header + "\n")
        np.savetxt(f, X, delimiter=",", fmt="%.17g")
        f.write(extra)
    return path, X


def test_large_plain_file_takes_the_fast_path_with_exact_values(tmp_path):
    path, X = _big_csv(tmp_path, 20000)
    info = inspect_table(path)
    assert info.lines is None  # the fast path does not track line numbers
    np.testing.assert_array_equal(info.values, X)
    assert info.columns == ["x", "y"]


def test_large_file_with_a_quoted_header_takes_the_fast_path(tmp_path):
    path, X = _big_csv(tmp_path, 20000, header='"speed, km/h","mass"')
    info = inspect_table(path)
    assert info.lines is None
    assert info.columns == ["speed, km/h", "mass"]
    np.testing.assert_array_equal(info.values, X)


@pytest.mark.parametrize(
    ("extra", "expect_rows", "expect_dropped"),
    [
        ("1,\n", 20000, 1),  # a missing value far down: careful path
        ('"5","6"\n', 20001, 0),  # quotes far down
        ("# the end\n", 20000, 0),
        ("7,nan\n", 20000, 1),
    ],
)
def test_surprises_far_down_a_large_file_are_handled(tmp_path, extra, expect_rows, expect_dropped):
    path, X = _big_csv(tmp_path, 20000, extra=extra)
    table = read_points(path)
    assert table.n_samples == expect_rows
    assert table.n_dropped == expect_dropped
    np.testing.assert_array_equal(table.data[:20000], X)


def test_pasted_spreadsheet_rows():
    table = parse_pasted_text("height\tweight\n1.5\t60\n1.8\t80\n")
    assert table.source is None
    assert table.columns == ["height", "weight"]
    np.testing.assert_array_equal(table.data, [[1.5, 60], [1.8, 80]])
    assert parse_pasted_text("1 2\n3 4").data.tolist() == [[1, 2], [3, 4]]


def test_decimal_commas_from_a_spreadsheet():
    table = parse_pasted_text("Länge\tBreite\n1,5\t2\n-0,25\t3,5e2\n")
    assert table.columns == ["Länge", "Breite"]
    np.testing.assert_array_equal(table.data, [[1.5, 2.0], [-0.25, 350.0]])
    assert "read decimal commas in Länge, Breite" in table.notes
    no_header = parse_pasted_text("1,5\t2,5\n3,5\t4,5\n")
    np.testing.assert_array_equal(no_header.data, [[1.5, 2.5], [3.5, 4.5]])


def test_decimal_commas_in_a_semicolon_file_but_not_in_a_comma_file(tmp_path):
    semi = write(tmp_path, "semi.csv", "x;y\n1,5;2\n3;4,75\n")
    np.testing.assert_array_equal(read_points(semi).data, [[1.5, 2], [3, 4.75]])
    comma = write(tmp_path, "comma.csv", "x,y\n1,5\n3,4\n")
    np.testing.assert_array_equal(read_points(comma).data, [[1, 5], [3, 4]])
