"""Fuzzing the readers: hundreds of malformed files, each a clean read or a `DataFileError`
naming the file, within bounded memory; and never a traceback from the command line.

The corpus is made here, from fixed seeds (so a failure names a case that can be rebuilt):
random bytes, broken text encodings, damaged and hostile ``.npy``/``.npz`` files (mutated,
truncated, lying headers, hostile dtypes, encrypted or unknown zip methods), zip bombs and huge
headers.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from gmm_studio.io import DataFileError, read_points

from .hostile_files import (
    Member,
    array_header,
    npy_bytes,
    npy_header,
    zip_bomb,
    zip_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
#: Memory a read may use: a fixed allowance plus a multiple of the file's size, whatever the
#: file claims to hold.
MEMORY_BASE = 16 << 20
MEMORY_PER_FILE_BYTE = 50

POINTS = np.random.default_rng(0).normal(size=(40, 3))


def _npz(arrays: dict, compressed: bool) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def _csv() -> bytes:
    return ("a,b,c\n" + "".join(",".join(map(repr, r)) + "\n" for r in POINTS.tolist())).encode()


def random_bytes(rng):
    for i in range(40):
        size = int(rng.choice([0, 1, 7, 64, 1000, 20_000]))
        data = rng.bytes(size)
        suffix = [".csv", ".txt", ".npy", ".npz", ".dat"][i % 5]
        yield f"random{i}{suffix}", data
    for i in range(10):  # right magic, random rest
        yield f"magic{i}.npy", b"\x93NUMPY" + rng.bytes(int(rng.integers(0, 300)))
        yield f"magic{i}.npz", b"PK\x03\x04" + rng.bytes(int(rng.integers(0, 300)))


def broken_text(rng):
    good = _csv()
    yield "invalid_utf8.csv", good.replace(b"a,b", b"\xff\xfe\xfa,b")
    yield "utf16_no_bom.csv", good.decode().encode("utf-16-le")
    yield "utf16_bom.csv", good.decode().encode("utf-16")
    yield "utf32.csv", good.decode().encode("utf-32")
    yield "nul_bytes.csv", good.replace(b",", b"\x00,", 5)
    yield "bom_only.csv", b"\xef\xbb\xbf"
    yield "lone_cr.csv", good.replace(b"\n", b"\r")
    yield "mixed_endings.csv", good.replace(b"\n", b"\r\n", 10)
    yield "surrogates.csv", b"x,y\n\xed\xa0\x80,1\n2,3\n"
    yield "overlong.csv", b"x,y\n\xc0\xaf,1\n2,3\n"
    yield "quote_storm.csv", b'"' * 5000 + b"\n1,2\n"
    yield "long_line.csv", b"x,y\n" + b"1," * 50_000 + b"\n"
    yield "huge_number.csv", b"x,y\n1e999999,2\n3,4\n5,6\n"
    yield "only_header.csv", b"x,y,z\n"
    for i in range(20):  # random bit flips in a good CSV
        data = bytearray(good)
        for pos in rng.integers(0, len(data), size=int(rng.integers(1, 30))):
            data[pos] = int(rng.integers(0, 256))
        yield f"flipped{i}.csv", bytes(data)


def mutated(rng, base: bytes, stem: str, suffix: str, n: int):
    for i in range(n):
        data = bytearray(base)
        kind = i % 3
        if kind == 0:  # a few random bytes changed
            for pos in rng.integers(0, len(data), size=int(rng.integers(1, 8))):
                data[pos] = int(rng.integers(0, 256))
        elif kind == 1:  # truncated
            data = data[: int(rng.integers(0, len(data)))]
        else:  # a random run overwritten
            start = int(rng.integers(0, len(data)))
            run = rng.bytes(int(rng.integers(1, 64)))
            data[start : start + len(run)] = run
        yield f"{stem}{i}{suffix}", bytes(data)


def damaged_numpy(rng):
    record = np.zeros(10, dtype=[("u", "f8"), ("v", "i4"), ("w", "U3")])
    yield from mutated(rng, npy_bytes(POINTS), "npy_mut", ".npy", 40)
    yield from mutated(rng, npy_bytes(record), "rec_mut", ".npy", 15)
    yield from mutated(rng, _npz({"X": POINTS}, False), "npz_mut", ".npz", 30)
    yield from mutated(rng, _npz({"X": POINTS}, True), "npzc_mut", ".npz", 40)
    yield from mutated(
        rng, _npz({"a": POINTS[:, 0], "b": POINTS[:, 1]}, True), "cols_mut", ".npz", 20
    )


HOSTILE_HEADERS = [
    "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (-5, 2), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (10**30, 2), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2), }",
    "{'descr': '<f8', 'fortran_order': 'yes', 'shape': (3, 2), }",
    "{'descr': 'V0', 'fortran_order': False, 'shape': (3, 2), }",
    "{'descr': '<U0', 'fortran_order': False, 'shape': (3, 2), }",
    "{'descr': [('a', '<f8', (10**9,))], 'fortran_order': False, 'shape': (3,), }",
    "{'descr': [('a', [('b', '|O')])], 'fortran_order': False, 'shape': (3,), }",
    "{'descr': 'not a dtype', 'fortran_order': False, 'shape': (3, 2), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2)",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2, 'x'), }",
    "{'descr': '<f8', 'fortran_order': False}",
    "[1, 2, 3]",
    "__import__('os').system('echo pwned')",
    "(" * 5000 + ")" * 5000,
    "[" * 100_000,
    "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), 'extra': 1}",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }\x00\x00",
    '{"descr": "<f8", "fortran_order": False, "shape": (3, 2), }\udcff',
]


def hostile_numpy(rng):
    for i, text in enumerate(HOSTILE_HEADERS):
        body = text.encode("utf-8", "surrogateescape") + b" " * 8 + b"\n"
        version = 3 if len(body) > 60_000 else 1
        yield f"hostile{i}.npy", npy_header(body, version)
        member = Member("X.npy", npy_header(body, version) + bytes(64), method=8)
        yield f"hostile{i}.npz", zip_bytes([member])
    yield "claims_4gb_header.npy", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{"
    yield "megabyte_header.npy", npy_header(b"{" + b" " * (1 << 20) + b"}", version=2)
    yield "version_9.npy", b"\x93NUMPY\x09\x00\x10\x00" + b" " * 16
    yield "huge_declared.npy", array_header((10**12, 2))
    yield "short_data.npy", array_header((1000, 3)) + bytes(1000)
    payload = npy_bytes(POINTS)
    for method in (1, 6, 9, 12, 14, 97, 98, 99):  # shrink, implode, deflate64, bzip2, lzma, ...
        yield f"method{method}.npz", zip_bytes([Member("X.npy", payload, method=method)])
    for flags in (0x1, 0x41, 0x2001):
        yield f"flags{flags}.npz", zip_bytes([Member("X.npy", payload, flags=flags)])
    for version in (45, 63, 64, 99, 255):
        yield f"version{version}.npz", zip_bytes([Member("X.npy", payload, version=version)])
    yield "wrong_crc.npz", zip_bytes([Member("X.npy", payload, crc=0)])
    yield "lying_size.npz", zip_bytes([Member("X.npy", payload, size=10)])
    yield "lying_size_big.npz", zip_bytes([Member("X.npy", payload, size=0xFFFFFFF0)])
    deflated = Member("X.npy", payload, method=8)
    yield (
        "bad_deflate.npz",
        zip_bytes([Member("X.npy", payload, method=8, stored=b"\x07" + deflated.stored[1:])]),
    )
    yield "no_members.npz", zip_bytes([])
    yield "empty_member.npz", zip_bytes([Member("X.npy", b"")])
    yield "dir_member.npz", zip_bytes([Member("dir/.npy", payload)])
    yield "many_members.npz", zip_bytes([Member(f"a{i}.npy", payload) for i in range(500)])
    yield "object_member.npz", _npz({"X": np.array([1, None], dtype=object)}, False)
    yield "zero_d.npz", _npz({"a": np.float64(1.0)}, True)
    yield "three_d.npz", _npz({"a": np.zeros((2, 2, 2))}, True)
    yield "columns_only.npz", _npz({"columns": np.array(["a", "b"])}, True)
    yield (
        "hostile_columns.npz",
        _npz({"X": POINTS[:, :2], "columns": np.array(["a\nimport os", "b"])}, True),
    )
    duplicate = [Member("X.npy", payload), Member("X.npy", npy_bytes(POINTS[:3]))]
    yield "duplicate_member.npz", zip_bytes(duplicate)


def zip_bombs(rng):
    yield "bomb_1gb.npz", zip_bomb(1 << 30)
    yield "bomb_lying_rows.npz", zip_bomb(32 << 20, declared_rows=10**9)
    yield "bomb_trailing.npz", zip_bomb(32 << 20, declared_rows=20)
    yield "bomb_truncated.npz", zip_bomb(64 << 20)[:20_000]
    nested = zip_bytes([Member("inner.npz.npy", zip_bomb(16 << 20))])
    yield "bomb_nested.npz", nested


def corpus() -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(20261201)
    cases = []
    for make in (random_bytes, broken_text, damaged_numpy, hostile_numpy, zip_bombs):
        cases.extend(make(rng))
    names = [name for name, _ in cases]
    assert len(set(names)) == len(names)
    return cases


CORPUS = corpus()


def test_the_corpus_is_a_few_hundred_files():
    assert len(CORPUS) >= 300


@pytest.mark.parametrize(("name", "data"), CORPUS, ids=[name for name, _ in CORPUS])
def test_a_clean_read_or_a_data_file_error_naming_the_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    tracemalloc.start()
    try:
        try:
            table = read_points(path)
        except DataFileError as error:
            assert error.path == path
            assert str(error).startswith(f"{name}: ") and "\n" not in str(error)
            assert len(str(error)) < 600
        else:
            assert table.data.ndim == 2 and table.data.shape[1] >= 1  # one column is data too
            assert table.data.dtype == np.float64 and np.isfinite(table.data).all()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= MEMORY_BASE + MEMORY_PER_FILE_BYTE * len(data)


CLI_CASES = ["bomb_1gb.npz", "bad_deflate.npz", "flags1.npz", "hostile10.npy"]
#: The window's start-up path (`gmm-studio FILE`) loads Qt, so fewer of those.
WINDOW_CASES = ["bomb_1gb.npz", "flags1.npz"]


def test_the_command_line_never_prints_a_traceback(tmp_path):
    chosen = dict(CORPUS)
    for name in CLI_CASES:
        path = tmp_path / name
        path.write_bytes(chosen[name])
        runs = [["fit", str(path), "-k", "2"]] + ([[str(path)]] if name in WINDOW_CASES else [])
        for argv in runs:
            done = subprocess.run(
                [sys.executable, "-m", "gmm_studio", *argv],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                env={**_env(), "QT_QPA_PLATFORM": "offscreen"},
            )
            assert done.returncode == 1, (argv, done.stderr)
            assert "Traceback" not in done.stderr and done.stdout == ""
            assert done.stderr.count("\n") == 1 and f"{name}: " in done.stderr


def _env() -> dict:
    import os

    return dict(os.environ)
