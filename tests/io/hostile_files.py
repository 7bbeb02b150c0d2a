"""Building damaged and hostile ``.npy``/``.npz`` files byte by byte, for the reader tests."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np

ZEROS_CHUNK = 1 << 20


def npy_bytes(array: np.ndarray) -> bytes:
    """The bytes numpy writes for ``array`` (a whole ``.npy`` file)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(header: str | bytes, version: int = 1) -> bytes:
    """A ``.npy`` start whose header text is ``header``, exactly (no validation)."""
    body = header.encode("latin-1") if isinstance(header, str) else header
    length = struct.pack("<H", len(body)) if version == 1 else struct.pack("<I", len(body))
    return b"\x93NUMPY" + bytes([version, 0]) + length + body


def array_header(shape, descr: str = "<f8") -> bytes:
    """A valid ``.npy`` header declaring ``shape`` (no data follows)."""
    text = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    text += " " * (63 - (len(text) + 10) % 64) + "\n"
    return npy_header(text)


def zeros_deflated(n_bytes: int) -> bytes:
    """A raw deflate stream inflating to ``n_bytes`` zero bytes, built in a moment whatever
    ``n_bytes`` is (one compressed megabyte repeated)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(ZEROS_CHUNK)) + compressor.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(n_bytes, ZEROS_CHUNK)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    return block * full + tail.compress(bytes(rest)) + tail.flush()


def crc_with_zeros(head: bytes, n_zeros: int) -> int:
    """The CRC-32 of ``head`` followed by ``n_zeros`` zero bytes."""
    crc = zlib.crc32(head)
    zeros = bytes(ZEROS_CHUNK)
    full, rest = divmod(n_zeros, ZEROS_CHUNK)
    for _ in range(full):
        crc = zlib.crc32(zeros, crc)
    return zlib.crc32(bytes(rest), crc)


class Member:
    """One file inside a hand-made zip archive (every header field settable)."""

    def __init__(
        self,
        name: str,
        payload: bytes,
        *,
        method: int = 0,
        size: int | None = None,
        crc: int | None = None,
        flags: int = 0,
        version: int = 20,
        stored: bytes | None = None,
    ) -> None:
        self.name = name.encode("utf-8")
        if stored is None:
            if method == 8:
                compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
                stored = compressor.compress(payload) + compressor.flush()
            else:
                stored = payload
        self.stored = stored
        self.method = method
        self.size = len(payload) if size is None else size
        self.crc = zlib.crc32(payload) if crc is None else crc
        self.flags = flags
        self.version = version


def zip_bytes(members: list[Member]) -> bytes:
    """A zip archive of ``members``, written field by field."""
    out = bytearray()
    central = bytearray()
    for m in members:
        offset = len(out)
        fields = (m.version, m.flags, m.method, 0, 0, m.crc, len(m.stored), m.size, len(m.name))
        out += struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fields, 0) + m.name + m.stored
        central += (
            struct.pack(
                "<4s6HIIIHHHHHII",
                b"PK\x01\x02",
                20,
                *fields,
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + m.name
        )
    start = len(out)
    out += central
    out += struct.pack(
        "<4s4HIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0
    )
    return bytes(out)


def zip_bomb(inflated: int, declared_rows: int | None = None) -> bytes:
    """An ``.npz`` whose array ``X`` inflates to ``inflated`` bytes of zeros.

    The ``.npy`` header inside declares ``(rows, 2)`` float64, by default exactly as many rows as
    the zeros hold; the zip headers declare the true inflated size.
    """
    rows = inflated // 16 if declared_rows is None else declared_rows
    header = array_header((rows, 2))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    member = Member(
        "X.npy",
        b"",
        method=8,
        size=len(header) + inflated,
        crc=crc_with_zeros(header, inflated),
        stored=head + zeros_deflated(inflated),
    )
    return zip_bytes([member])
