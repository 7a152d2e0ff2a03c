"""Opening an export: the file's digest as it is read, its encoding (UTF-8 with or without a BOM, UTF-16),
and whether it is JSON or CSV.

The digest is taken from the bytes as the parser pulls them (one pass over a file of a gigabyte, not two).
"""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

CHUNK = 1 << 20


class _Digesting(io.RawIOBase):
    """A raw stream that hashes every byte it hands on."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha.update(data)
        return n

    def finish(self) -> str:
        while data := self._raw.read(CHUNK):
            self.sha.update(data)
        return self.sha.hexdigest()


def _encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"  # reads a file with or without the BOM Excel and PowerShell write


class Opened:
    """An export being read: its text, its shape, and (once read) its digest."""

    def __init__(self, text: IO[str], digesting: _Digesting, first: str, head: bytes) -> None:
        self.text = text
        self.head = head  # the file's first bytes, to name a file that is no text export
        self._digesting = digesting
        self.first = first  # the first character that is not white space ("" for an empty file)

    @property
    def is_json(self) -> bool:
        return self.first in ("[", "{")

    def digest(self) -> str:
        return self._digesting.finish()


@contextmanager
def open_export(path: Path) -> Iterator[Opened]:
    with path.open("rb") as raw:
        head = raw.read(1 << 16)
        raw.seek(0)
        encoding = _encoding(head)
        digesting = _Digesting(raw)
        buffered = io.BufferedReader(digesting, buffer_size=CHUNK)
        # newline="": CSV needs the line ends as they are; JSON counts \r as white space.
        text = io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline="")
        yield Opened(text, digesting, _first_character(head, encoding), head[:16])


def _first_character(head: bytes, encoding: str) -> str:
    """The first significant character, peeked from the file's first bytes before the text is read."""
    decoded = head.decode(encoding, errors="ignore").lstrip()
    return decoded[:1]
