"""Files as people have them: count lines, titles, notes, row names, index and class columns."""

import re

import numpy as np
import pytest

from gmm_studio.io import DataFileError, ReadOptions, inspect_table, read_points


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", newline="")
    return path


def sklearn_style(tmp_path, name, n_features, classes, n_per_class=20, seed=0):
    """A file in the format of scikit-learn's bundled wine_data.csv / iris.csv."""
    rng = np.random.default_rng(seed)
    lines = [f"{n_per_class * len(classes)},{n_features},{','.join(classes)}"]
    X, y = [], []
    for label in range(len(classes)):
        for _ in range(n_per_class):
            row = np.round(rng.normal(loc=5 * label, size=n_features), 3)
            X.append(row)
            y.append(label)
            lines.append(",".join(repr(float(v)) for v in row) + f",{label}")
    return write(tmp_path, name, "\n".join(lines) + "\n"), np.array(X), np.array(y)


def test_scikit_learn_wine_count_line_is_skipped_and_the_target_is_labels(tmp_path):
    path, X, y = sklearn_style(tmp_path, "wine_data.csv", 13, ["class_0", "class_1", "class_2"])
    info = inspect_table(path)
    assert info.n_rows == 60 and not info.has_header
    assert info.columns[-1] == "target" and info.label_columns == (13,)
    assert any("skipped line 1" in n and "scikit-learn" in n for n in info.notes)
    table = info.select()
    np.testing.assert_array_equal(table.data, X)
    assert "not fitted: 'target' looks like true labels" in table.notes
    labelled = info.select(labels="target")
    assert labelled.labels.tolist() == y.tolist()


def test_scikit_learn_iris_count_line_of_the_same_width_is_not_a_header(tmp_path):
    path, X, _ = sklearn_style(tmp_path, "iris.csv", 4, ["setosa", "versicolor", "virginica"])
    info = inspect_table(path)
    assert info.columns == ["x0", "x1", "x2", "x3", "target"]
    assert "150" not in info.columns and "setosa" not in info.columns
    np.testing.assert_array_equal(info.select().data, X)


def test_a_title_line_is_skipped_with_a_note(tmp_path):
    path = write(tmp_path, "t.csv", "Measurements of 3 flowers\nlength,width\n1,2\n3,4\n5,6\n")
    table = read_points(path)
    assert table.columns == ["length", "width"]
    np.testing.assert_array_equal(table.data, [[1, 2], [3, 4], [5, 6]])
    assert any(n.startswith("skipped line 1 above the table") for n in table.notes)


@pytest.mark.parametrize(
    "notes",
    [
        "# exported 2024-05-01\n# units: cm\n",
        "Exported by the lab scale on 2024-05-01\nUnits: cm\n",
    ],
)
def test_two_lines_of_notes_are_skipped(tmp_path, notes):
    path = write(tmp_path, "n.csv", notes + "a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
    info = inspect_table(path)
    assert info.columns == ["a", "b", "c"] and info.n_rows == 3
    assert list(info.lines) == [4, 5, 6]


def test_r_row_names_are_an_index(tmp_path):
    # R's write.table: the header has no name above the row names.
    rows = "".join(f'"{i}" {3 + i % 2}.5 {70 + i}\n' for i in range(1, 13))
    path = write(tmp_path, "r.txt", '"eruptions" "waiting"\n' + rows)
    info = inspect_table(path)
    assert info.columns == ["column 0", "eruptions", "waiting"]
    assert info.index_columns == (0,)
    table = info.select()
    assert table.columns == ["eruptions", "waiting"]
    assert "not fitted: 'column 0' numbers the rows (an index)" in table.notes


def index_file(tmp_path, ids, name="id"):
    rng = np.random.default_rng(1)
    lines = [f"{name},x,y"] + [f"{i},{rng.normal()!r},{rng.normal()!r}" for i in ids]
    return write(tmp_path, "ids.csv", "\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "ids",
    [
        [str(i) for i in range(30)],
        [str(i) for i in range(1, 31)],
        [f"{i:04d}" for i in range(1, 31)],
        [str(i) for i in np.random.default_rng(2).permutation(30)],
    ],
    ids=["from-0", "from-1", "zero-padded", "shuffled"],
)
def test_row_numbers_are_an_index_not_fitted(tmp_path, ids):
    info = inspect_table(index_file(tmp_path, ids, name="customer_id"))
    assert info.index_columns == (0,)
    assert info.select().columns == ["x", "y"]
    assert info.select(["customer_id", "x"]).columns == ["customer_id", "x"]  # overridable


@pytest.mark.parametrize(
    "ids",
    [
        [str(i) for i in range(1, 30)] + ["31"],  # a gap
        [str(i) for i in range(1, 30)] + ["29"],  # a repeat
        [str(2 * i) for i in range(30)],  # even numbers
        [str(i) for i in range(5, 35)],  # does not start at 0 or 1
    ],
)
def test_a_column_that_only_looks_like_an_index_is_fitted(tmp_path, ids):
    info = inspect_table(index_file(tmp_path, ids))
    assert info.index_columns == ()
    assert info.select().columns == ["id", "x", "y"]


def test_a_blank_or_unnamed_header_is_an_index(tmp_path):
    path = write(tmp_path, "pd.csv", "Unnamed: 0,x,y\n7,1,2\n3,3,4\n5,5,7\n")
    assert inspect_table(path).index_columns == (0,)
    path = write(tmp_path, "blank.csv", ",x,y\n7,1,2\n3,3,4\n5,5,7\n")
    info = inspect_table(path)
    assert info.index_columns == (0,) and info.select().columns == ["x", "y"]


def test_text_classes_are_labels_and_text_ids_are_not(tmp_path):
    rng = np.random.default_rng(3)
    species = ["setosa", "versicolor", "virginica"]
    lines = ["name,species,a,b"] + [
        f"plant{i},{species[i % 3]},{rng.normal()!r},{rng.normal()!r}" for i in range(30)
    ]
    info = inspect_table(write(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert info.label_columns == (1,)
    table = info.select(labels="species")
    assert table.columns == ["a", "b"]
    assert table.labels.tolist() == [species[i % 3] for i in range(30)]


def test_small_integers_are_labels_only_under_a_class_name(tmp_path):
    rng = np.random.default_rng(4)
    body = [f"{i % 3},{i % 3},{rng.normal()!r}" for i in range(30)]
    info = inspect_table(write(tmp_path, "c.csv", "cluster,rooms,x\n" + "\n".join(body) + "\n"))
    assert info.label_columns == (0,)
    assert info.select().columns == ["rooms", "x"]


def test_labels_follow_the_rows_that_are_kept(tmp_path):
    path = write(tmp_path, "l.csv", "x,y,class\n1,2,a\n,3,b\n4,5,\n6,7,a\n8,9,b\n")
    table = read_points(path, labels="class")
    assert table.labels.tolist() == ["a", None, "a", "b"]
    assert table.rows.tolist() == table.row_positions().tolist() == [0, 2, 3, 4]
    # Without dropped rows no N-long index is kept (8 bytes a row of a 100M-row file).
    whole = read_points(write(tmp_path, "w.csv", "x,y\n1,2\n3,4\n5,6\n"))
    assert whole.rows is None and whole.row_positions().tolist() == [0, 1, 2]


def test_skip_rows_and_no_header(tmp_path):
    path = write(tmp_path, "p.csv", "3,3,3\n1,2,3\n4,5,6\n")
    info = inspect_table(path, ReadOptions(skip_rows=1, header=False))
    assert info.columns == ["x0", "x1", "x2"] and info.n_rows == 2
    info = inspect_table(path, ReadOptions(header=False))
    assert info.n_rows == 3
    path = write(tmp_path, "h.csv", "title\nsub,title\na,b\n9,9\n1,2\n3,4\n")
    info = inspect_table(path, ReadOptions(skip_rows=2, header=True, first_data_row=5))
    assert info.columns == ["a", "b"]
    np.testing.assert_array_equal(info.select().data, [[1, 2], [3, 4]])
    with pytest.raises(DataFileError, match="holds only comments or blank lines"):
        inspect_table(path, ReadOptions(skip_rows=10))


def test_sample_weights_are_validated(tmp_path):
    path = write(tmp_path, "w.csv", "x,y,w\n1,2,1\n3,4,2.5\n5,6,\n7,8,0\n")
    table = read_points(path, weights="w")
    assert table.columns == ["x", "y"]
    assert table.sample_weight.tolist() == [1, 2.5, 0]
    assert table.n_dropped == 1 and table.weight_column == "w"
    for content, problem in [
        ("x,y,w\n1,2,1\n3,4,-1\n", "weights column 'w' holds negative weights (line 3)"),
        ("x,y,w\n1,2,0\n3,4,0\n", "weights column 'w' holds only zeros"),
        ("x,y,w\n1,2,a\n3,4,b\n", "weights column 'w' is not numeric"),
    ]:
        with pytest.raises(DataFileError, match="^" + re.escape(f"bad.csv: {problem}")):
            read_points(write(tmp_path, "bad.csv", content), weights="w")
    with pytest.raises(DataFileError, match="holds weights or labels; it cannot also be fitted"):
        read_points(path, ["x", "w"], weights="w")


def test_a_large_file_with_a_count_line_of_the_body_width(tmp_path):
    # large enough for the fast path, which must leave the count line to the careful one
    path, X, _ = sklearn_style(tmp_path, "big.csv", 4, ["a", "b", "c"], n_per_class=1000)
    assert path.stat().st_size > 1 << 16
    info = inspect_table(path)
    assert info.columns == ["x0", "x1", "x2", "x3", "target"]
    np.testing.assert_array_equal(info.select().data, X)
