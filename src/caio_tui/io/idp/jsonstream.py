"""The records of a JSON export, one at a time, whatever its wrapping.

The shapes the IdPs and their tools write: a bare array (`/api/v1/logs`, `az ad sp list`); Graph's envelope
`{"@odata.context": ..., "value": [...], "@odata.nextLink": ...}`, several pages of it concatenated in one
file; Azure Monitor's `{"records": [...]}`; NDJSON (one record, or one page, per line); a single object.
An envelope's array is streamed element by element, never held whole: a million events pass in bounded
memory. Records are decoded with the standard library's C decoder (`raw_decode` over a sliding buffer): on 100,000
System Log events (1.6 kB each) it took 1.3 s of CPU where ijson 3.6's C backend (yajl2_c, `items`) took
1.9 s, and it needs no dependency.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from caio_tui.io.idp.fields import RecordError

# A record is (where, value): "record 7", "line 12", "line 3 record 2".
Located = tuple[str, Any]
ENVELOPE_KEYS = ("value", "records")
CHUNK = 1 << 20
LONGEST_RECORD = 64 << 20  # past this, a record that does not close is broken, not long
LONGEST_LINE = 16 << 20  # an NDJSON line: one record, or one Graph page of up to 999

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


class BrokenJson(RecordError):
    """The JSON stops making sense at a record: the rest of the file cannot be read."""


def json_records(text: IO[str]) -> Iterator[Located]:
    """Every record of the file. NDJSON is read line by line (its problems are told by line number)."""
    # A first line of more than LONGEST_LINE is no NDJSON record: a minified array or envelope, streamed
    # (a whole gigabyte on one line is never read into memory at once).
    first_line = text.readline(LONGEST_LINE)
    if _is_whole_object(first_line):
        yield from _ndjson([first_line], text)
        return
    stripped = first_line.strip()
    if first_line.endswith("\n") and stripped.startswith("{") and stripped != "{":
        # A one-line object that does not parse: NDJSON whose first record is broken, when the next is whole.
        second_line = text.readline(LONGEST_LINE)
        if _is_whole_object(second_line):
            yield from _ndjson([first_line, second_line], text)
            return
        first_line += second_line
    yield from _Stream(first_line, text).records()


TOO_DEEP = "JSON nested too deep to be an identity export"


def _is_whole_object(line: str) -> bool:
    stripped = line.strip()
    if not line.endswith("\n") or not stripped.startswith("{") or not stripped.endswith("}"):
        return False
    try:
        json.loads(stripped)
    except (ValueError, RecursionError):
        return False
    return True


def _ndjson(first_lines: list[str], text: IO[str]) -> Iterator[Located]:
    number = 0
    for line in itertools.chain(first_lines, text):
        number += 1
        if not line or line.isspace():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield f"line {number}", RecordError(f"not JSON ({error.msg})")
            continue
        except RecursionError:
            yield f"line {number}", RecordError(TOO_DEEP)
            continue
        items = _envelope_items(value)
        if items is None:
            yield f"line {number}", value
        else:
            for index, item in enumerate(items, 1):
                yield f"line {number} record {index}", item


def _envelope_items(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        for key in ENVELOPE_KEYS:
            items = value.get(key)
            if isinstance(items, list):
                return items
    return None


class _Stream:
    """A sliding buffer over the text, decoding one value at a time."""

    def __init__(self, start: str, text: IO[str]) -> None:
        self._text = text
        self._buffer = start
        self._at = 0
        self._ended = False
        self._count = 0

    def records(self) -> Iterator[Located]:
        try:
            while self._skip_space():
                head = self._buffer[self._at]
                if head == "[":
                    yield from self._array()
                elif head == "{":
                    yield from self._object()
                else:
                    raise BrokenJson(f"expected [ or {{, found {head!r}")
        except BrokenJson as error:
            yield f"record {self._count + 1}", BrokenJson(f"{error}; the rest of the file was not read")
        except RecursionError:  # no export nests a thousand levels: a hostile or broken file
            yield f"record {self._count + 1}", BrokenJson(f"{TOO_DEEP}; the rest of the file was not read")

    def _array(self) -> Iterator[Located]:
        self._at += 1
        if self._skip_space() and self._buffer[self._at] == "]":
            self._at += 1
            return
        decode = _DECODER.raw_decode
        space = _SPACE.match
        while True:
            # The hot loop of a million records: decode straight from the buffer, and fall back to the
            # careful path (more text, white space at a chunk's end) only when the fast one fails.
            try:
                value, at = decode(self._buffer, self._at)
                end = space(self._buffer, at).end()  # type: ignore[union-attr]  # "*" always matches
                separator = self._buffer[end]
            except (json.JSONDecodeError, IndexError):
                value = self._decode()
                separator = self._expect(",]")
                end = self._at - 1
            self._at = end + 1
            self._count += 1
            yield f"record {self._count}", value
            if separator == "]":
                return
            if separator != ",":
                self._at = end
                raise BrokenJson(f"expected , or ], found {separator!r}")
            if self._at < len(self._buffer) and self._buffer[self._at] in " \t\r\n":
                self._skip_space()

    def _object(self) -> Iterator[Located]:
        """An envelope (its array streamed) or a record of its own (decoded whole)."""
        self._at += 1
        fields: dict[str, Any] = {}
        envelope = False
        if self._skip_space() and self._buffer[self._at] == "}":
            self._at += 1
        else:
            while True:
                self._skip_space()
                key = self._decode()
                if not isinstance(key, str):
                    raise BrokenJson(f"an object's key must be text, found {type(key).__name__}")
                self._expect(":")
                self._skip_space()
                if key in ENVELOPE_KEYS and not envelope and self._buffer[self._at] == "[":
                    envelope = True
                    yield from self._array()
                else:
                    fields[key] = self._decode()
                if self._expect(",}") == "}":
                    break
        if not envelope:
            self._count += 1
            yield f"record {self._count}", fields

    def _expect(self, choices: str) -> str:
        if not self._skip_space():
            raise BrokenJson("the file ends inside the JSON")
        found = self._buffer[self._at]
        if found not in choices:
            raise BrokenJson(f"expected {' or '.join(choices)}, found {found!r}")
        self._at += 1
        return found

    def _skip_space(self) -> bool:
        """Moves past white space; False at the end of the file."""
        while True:
            end = _SPACE.match(self._buffer, self._at)
            self._at = end.end() if end else self._at
            if self._at < len(self._buffer):
                return True
            if not self._more():
                return False

    def _decode(self) -> Any:
        if not self._skip_space():
            raise BrokenJson("the file ends inside the JSON")
        while True:
            try:
                value, self._at = _DECODER.raw_decode(self._buffer, self._at)
                return value
            except json.JSONDecodeError as error:
                # The value may only be cut by the buffer's end: read on, unless it cannot be that.
                if len(self._buffer) - self._at > LONGEST_RECORD or not self._more():
                    raise BrokenJson(f"not JSON ({error.msg})") from None

    def _more(self) -> bool:
        if self._ended:
            return False
        chunk = self._text.read(CHUNK)
        if not chunk:
            self._ended = True
            return False
        self._buffer = self._buffer[self._at :] + chunk
        self._at = 0
        return True
