"""Excel workbooks and Parquet files: round trips through the libraries that write them,
recognition by content, and a clear message when the optional library is missing."""

import datetime
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmm_studio.cli import main
from gmm_studio.io import DataFileError, ReadOptions, inspect_table, read_points

ROOT = Path(__file__).resolve().parents[2]


def workbook(path, sheets):
    """Write ``{title: rows}`` with openpyxl (the first sheet first)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def points(seed=0, n=40):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) * [1e-3, 1e5] + [0.5, -7]


def cell_values(path):
    """The numbers as openpyxl itself reads them back (it writes 16 significant digits)."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book.active.iter_rows(values_only=True))[1:]
    book.close()
    return np.array([[v for v in row if isinstance(v, float)] for row in rows])


def test_xlsx_round_trip_is_exact(tmp_path):
    X = points()
    rows = [["length", "width", "species"]] + [
        [float(a), float(b), ["iris", "rose"][i % 2]] for i, (a, b) in enumerate(X)
    ]
    path = workbook(tmp_path / "plants.xlsx", {"data": rows})
    info = inspect_table(path)
    assert info.columns == ["length", "width", "species"]
    assert info.label_columns == (2,) and info.spec.kind == "xlsx" and info.spec.sheet == "data"
    table = info.select(labels="species")
    np.testing.assert_array_equal(table.data, cell_values(path))
    np.testing.assert_allclose(table.data, X, rtol=1e-15)
    assert table.labels.tolist() == ["iris", "rose"] * 20


def test_xlsx_chosen_sheet_title_row_and_empty_cells(tmp_path):
    X = points(1, 12)
    first = [["notes only"], ["nothing to fit"]]
    rows = [["Survey 2024"], [], ["a", "b", "c"]]
    rows += [[float(a), float(b), i] for i, (a, b) in enumerate(X)]
    rows[5][1] = None  # an empty cell: a missing value
    rows.append([1.0, "#N/A", 12])  # an Excel error value: a missing value
    path = workbook(tmp_path / "book.xlsx", {"readme": first, "points": rows})
    with pytest.raises(DataFileError, match="no numeric columns"):
        inspect_table(path, ReadOptions(sheet="readme"))
    first_with_numbers = inspect_table(path)
    assert first_with_numbers.spec.sheet == "points"
    assert "passed over sheets without numbers: readme" in first_with_numbers.notes
    info = inspect_table(path, ReadOptions(sheet="points"))
    assert info.columns == ["a", "b", "c"] and info.index_columns == (2,)
    assert "read sheet 'points' of 2" in info.notes
    assert any("skipped row 1 above the table" in note for note in info.notes)
    table = info.select()
    assert table.n_dropped == 2
    assert any("rows 6, 16" in note for note in table.notes)
    assert inspect_table(path, ReadOptions(sheet=1)).columns == ["a", "b", "c"]
    with pytest.raises(DataFileError, match=r"no sheet named 'x' \(sheets: readme, points\)"):
        inspect_table(path, ReadOptions(sheet="x"))
    with pytest.raises(DataFileError, match="no sheet 5: the workbook has 2"):
        inspect_table(path, ReadOptions(sheet=5))


def test_xlsx_written_by_pandas_with_dates_and_integers(tmp_path):
    import pandas as pd

    frame = pd.DataFrame(
        {
            "when": [datetime.date(2024, 1, d) for d in range(1, 11)],
            "count": list(range(10, 20)),
            "value": np.linspace(0, 1, 10),
        }
    )
    path = tmp_path / "frame.xlsx"
    frame.to_excel(path, index=False)
    info = inspect_table(path)
    assert info.numeric == [False, True, True]
    np.testing.assert_array_equal(info.select().data, frame[["count", "value"]].to_numpy())


def test_a_workbook_is_recognised_by_content_whatever_its_name(tmp_path):
    X = points(2, 5)
    path = workbook(tmp_path / "w.xlsx", {"s": [["x", "y"], *X.tolist()]})
    for name in ("named.npz", "named.csv", "no_suffix"):
        renamed = tmp_path / name
        renamed.write_bytes(path.read_bytes())
        np.testing.assert_array_equal(read_points(renamed).data, cell_values(path))


def test_a_zip_that_is_not_a_workbook_is_still_read_as_npz(tmp_path):
    path = tmp_path / "arrays.zip"
    np.savez(path.with_suffix(".npz"), x=np.arange(3.0), y=np.arange(3.0) * 2)
    path.write_bytes(path.with_suffix(".npz").read_bytes())
    assert read_points(path).columns == ["x", "y"]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old-style Excel (.xls)"),
        ("fake.xlsx", b"x,y\n1,2\n", "not a valid .xlsx workbook"),
        ("fake.parquet", b"x,y\n1,2\n", "not a valid .parquet file"),
        ("cut.parquet", b"PAR1" + bytes(100), "not a readable .parquet file"),
    ],
)
def test_broken_or_foreign_files_are_named(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=f"^{re.escape(name)}: .*{re.escape(problem)}"):
        inspect_table(path)


def test_a_damaged_workbook(tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really")
    with pytest.raises(DataFileError, match=r"^broken\.xlsx: not a readable \.xlsx workbook"):
        inspect_table(path)


def test_parquet_round_trip_is_exact(tmp_path):
    X = points(3)
    table = pa.table(
        {
            "a": pa.array(X[:, 0]),
            "b": pa.array(X[:, 1], type=pa.float32()).cast(pa.float64()),
            "n": pa.array([i if i % 7 else None for i in range(40)], type=pa.int64()),
            "kind": pa.array(["u", "v"] * 20).dictionary_encode(),
            "id": pa.array(range(40), type=pa.int32()),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    info = inspect_table(path)
    assert info.columns == ["a", "b", "n", "kind", "id"]
    assert info.numeric == [True, True, True, False, True]
    assert info.index_columns == (4,) and info.label_columns == (3,)
    points_read = info.select(["a", "b"])
    np.testing.assert_array_equal(points_read.data[:, 0], X[:, 0])
    np.testing.assert_array_equal(points_read.data[:, 1], X[:, 1].astype(np.float32))
    with_n = info.select(["a", "n"])
    assert with_n.n_dropped == 6
    assert info.select(["a"], labels="kind").labels.tolist() == ["u", "v"] * 20


def test_parquet_written_by_pandas_with_a_named_index(tmp_path):
    import pandas as pd

    X = points(4, 15)
    order = np.random.default_rng(0).permutation(15) + 1
    frame = pd.DataFrame(X, columns=["x", "y"], index=pd.Index(order, name="row"))
    path = tmp_path / "p.data"  # no suffix needed
    frame.to_parquet(path)
    info = inspect_table(path)
    assert info.columns == ["x", "y", "row"] and info.index_columns == (2,)
    np.testing.assert_array_equal(info.select().data, X)


def test_cli_reads_a_chosen_sheet(tmp_path, capsys):
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(size=(15, 2)), rng.normal(size=(15, 2)) + 4])
    path = workbook(tmp_path / "b.xlsx", {"a": [["w"], ["t"]], "pts": [["x", "y"], *X.tolist()]})
    assert main(["fit", str(path), "-k", "2", "--sheet", "pts", "--json"]) == 0
    assert '"n_samples": 30' in capsys.readouterr().out
    assert main(["fit", str(path), "-k", "2", "--sheet", "nope"]) == 1
    assert "no sheet named 'nope'" in capsys.readouterr().err


BLOCK = "import sys; sys.modules[{module!r}] = None; sys.argv = ['gmm-studio'] + {argv!r}; "
BLOCK += "from gmm_studio.cli import main; raise SystemExit(main())"


@pytest.mark.parametrize(
    ("module", "suffix", "extra"),
    [("openpyxl", ".xlsx", "xlsx"), ("pyarrow", ".parquet", "parquet")],
)
def test_a_missing_library_names_the_extra(tmp_path, module, suffix, extra):
    path = tmp_path / f"data{suffix}"
    if suffix == ".xlsx":
        workbook(path, {"s": [["x", "y"], [1.0, 2.0], [3.0, 4.0]]})
    else:
        pq.write_table(pa.table({"x": [1.0, 3.0], "y": [2.0, 4.0]}), path)
    argv = ["fit", str(path), "-k", "1"]
    done = subprocess.run(
        [sys.executable, "-c", BLOCK.format(module=module, argv=argv)],
        capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""},
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        f"gmm-studio: {path}: reading {suffix} {'workbooks' if extra == 'xlsx' else 'files'} "
        f"needs the {module} package, which is not installed; install it with: "
        f"pip install 'gmm-studio[{extra}]'\n"
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=3000), cut=st.integers(0, 4000))
def test_damaged_workbooks_and_parquet_files_are_clean_errors(tmp_path, data, cut):
    X = [[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]
    book = tmp_path / "good.xlsx"
    if not book.exists():
        workbook(book, {"s": [["x", "y"], *X]})
        pq.write_table(pa.table({"x": [1.0, 3.0], "y": [2.0, 4.0]}), tmp_path / "good.parquet")
    for good in (book, tmp_path / "good.parquet"):
        raw = good.read_bytes()
        damaged = tmp_path / f"damaged{good.suffix}"
        # cut short, or with random bytes written over a part
        damaged.write_bytes(raw[: cut % len(raw)] + data + raw[cut % len(raw) + len(data) :])
        try:
            table = read_points(damaged)
        except DataFileError as error:
            assert str(error).startswith(f"{damaged.name}: ") and "\n" not in str(error)
        else:
            assert table.data.ndim == 2 and np.isfinite(table.data).all()


def test_options_a_format_has_no_use_for_are_refused(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, x=np.arange(3.0), y=np.arange(3.0))
    with pytest.raises(DataFileError, match="apply to text files and workbooks, not to npz"):
        inspect_table(path, ReadOptions(skip_rows=1))
    text = tmp_path / "t.csv"
    text.write_text("x,y\n1,2\n3,4\n")
    with pytest.raises(DataFileError, match=r"^t\.csv: not a workbook, so it has no sheets"):
        inspect_table(text, ReadOptions(sheet="one"))
