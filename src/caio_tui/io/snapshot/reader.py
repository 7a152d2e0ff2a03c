"""The streaming reader: a snapshot file in the exporter's layout read in one pass, pilot by pilot, each
pilot validated and checked as it comes and the digest verified at the end (flat memory at any size)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, Literal, NotRequired

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.stages import Stage
from caio_tui.io.snapshot.checks import (
    References,
    check_format,
    digest_mismatch,
    first_error,
    head_problems,
    pilot_error,
)
from caio_tui.io.snapshot.digest import Signer, canonical
from caio_tui.io.snapshot.rows import checked_rows
from caio_tui.io.snapshot.schema import OPTIONAL_HEAD_KEYS, SnapshotError, SnapshotHead, Timestamp
from caio_tui.store.insert_rows import FlatPilotRows
from caio_tui.store.transfer import Progress

# The exporter writes one pilot per line between the lines '  "pilots": [' and '  ],' (see export.to_bytes). The
# streaming reader relies on that layout and on nothing else: anything it does not recognise (another
# program's formatting, broken JSON) makes it give way to the whole-document parse, whose messages name
# the line and column. A pilot line is parsed and validated in one step by pydantic's JSON parser into
# plain dicts (TypedDicts of the same shape as SnapshotPilot: a model instance per coverage item costs
# more than the rest of the import; a test holds the two shapes equal).


_LINE_CONFIG = ConfigDict(extra="forbid")

# Stages and statuses as Literals of their text, not enums: the rows hold the text, and an enum's .value
# is a descriptor call, two million of them per 100,000 pilots. Same values, same messages.
if TYPE_CHECKING:
    _StageText = str
    _StatusText = str
else:
    _StageText = Literal[tuple(s.value for s in Stage)]
    _StatusText = Literal[tuple(s.value for s in CoverageStatus)]


@with_config(_LINE_CONFIG)
class _CoverageDict(TypedDict):
    item: Annotated[str, Field(min_length=1)]
    status: _StatusText
    evidence: NotRequired[str]
    justification: NotRequired[str]
    updated_at: Timestamp
    updated_by: str


@with_config(_LINE_CONFIG)
class _BlockerDict(TypedDict):
    tag: Annotated[str, Field(min_length=1)]
    note: NotRequired[str]
    opened_at: Timestamp
    opened_by: str
    resolved_at: NotRequired[Timestamp | None]
    resolved_by: NotRequired[str]
    resolution: NotRequired[str]


# "from" is a keyword: the functional form, with its config set as with_config would.
_MoveDict = TypedDict(
    "_MoveDict",
    {
        "from": _StageText | None,
        "to": _StageText,
        "moved_at": Timestamp,
        "actor": str,
        "override": NotRequired[str],
        "failed_rules": NotRequired[list[str]],
    },
)
_MoveDict.__pydantic_config__ = _LINE_CONFIG  # type: ignore[attr-defined]


@with_config(_LINE_CONFIG)
class _PilotDict(TypedDict):
    id: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    office: NotRequired[str]
    owner: NotRequired[str]
    stage: _StageText
    high_impact: NotRequired[bool]
    description: NotRequired[str]
    extra: NotRequired[dict[str, Any]]
    created_at: Timestamp
    stage_entered_at: Timestamp
    coverage: NotRequired[list[_CoverageDict]]
    blockers: NotRequired[list[_BlockerDict]]
    stage_history: NotRequired[list[_MoveDict]]


PILOT_LINE = TypeAdapter(_PilotDict)

_PILOTS_OPEN = b'  "pilots": ['
_PILOTS_EMPTY = b'  "pilots": [],'
_PILOTS_CLOSE = b"  ],"
_PILOT_INDENT = b"    {"
_TAIL_LIMIT = 1 << 20  # what may follow the pilots (the digest line) in the exporter's layout


class NotLineLayout(Exception):
    """The file is not (or not only) in the exporter's layout: read it as a whole document instead."""


class _LineReader:
    """A snapshot file in the exporter's layout, read line by line: the head, then pilot lines, then the
    digest. Tracks the line number (for messages) and the bytes read (for progress)."""

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self.stream = stream
        self.source = source
        self.line = 0
        self.read = 0
        self.empty = False

    def _next(self) -> bytes:
        try:
            data = self.stream.readline()
        except OSError as exc:
            raise SnapshotError(f"{self.source}:{self.line + 1}: cannot read ({exc.strerror})") from None
        self.line += 1
        self.read += len(data)
        return data

    def head(self) -> dict[str, Any]:
        """The document's keys before "pilots", parsed."""
        lines: list[bytes] = []
        while True:
            data = self._next()
            if not data:
                raise NotLineLayout
            stripped = data.rstrip(b"\r\n")
            if stripped in (_PILOTS_OPEN, _PILOTS_EMPTY):
                self.empty = stripped == _PILOTS_EMPTY
                break
            lines.append(data)
        text = b"".join(lines).rstrip()
        if self.line == 1 or not text.endswith(b","):
            raise NotLineLayout
        try:
            raw = json.loads(text[:-1].decode("utf-8-sig") + "}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise NotLineLayout from None
        if not isinstance(raw, dict) or "pilots" in raw or "digest" in raw:
            raise NotLineLayout
        return raw

    def pilots(self) -> Iterator[bytes]:
        """Each pilot's JSON text, as the line holds it (without indentation and separator)."""
        if self.empty:
            return
        comma = True  # every pilot line but the last ends with a comma
        while True:
            data = self._next()
            stripped = data.rstrip(b"\r\n")
            if stripped == _PILOTS_CLOSE:
                if comma:
                    raise NotLineLayout  # a comma before ']' (or '[' and '],' on lines of their own)
                return
            if not comma or not stripped.startswith(_PILOT_INDENT):
                raise NotLineLayout
            comma = stripped.endswith(b",")
            yield stripped[4:-1] if comma else stripped[4:]

    def tail(self) -> dict[str, Any]:
        """What follows the pilots: the digest."""
        rest = self.stream.read(_TAIL_LIMIT + 1)
        if len(rest) > _TAIL_LIMIT:
            raise NotLineLayout
        try:
            raw = json.loads("{" + rest.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise NotLineLayout from None
        if not isinstance(raw, dict) or set(raw) != {"digest"} or not isinstance(raw["digest"], str):
            raise NotLineLayout
        return raw


class SnapshotFile:
    """A snapshot file read in one pass, pilot by pilot, each pilot validated and checked as it comes; the
    digest is known once the last pilot is read. Memory stays flat at any size.

    Use: head (validated, checked) on construction; then iterate rows() once: FlatPilotRows per pilot; at its
    end the digest is verified (SnapshotError if it does not match, so a caller loading the rows inside a
    transaction rolls it back). NotLineLayout from any step: the file is not in the exporter's layout (or
    its JSON is broken) and needs the whole-document parse. The stream must be seekable (a file)."""

    def __init__(self, stream: BinaryIO, source: str, size: int = 0) -> None:
        self.reader = _LineReader(stream, source)
        self.source = source
        self.size = size
        raw = self.reader.head()
        if not raw.keys() >= SnapshotHead.model_fields.keys() - OPTIONAL_HEAD_KEYS:
            # The exporter writes every head key before the pilots: a missing one means another layout or a
            # cut file, which the whole-document parse names exactly (line and column, or the missing key).
            raise NotLineLayout
        check_format(raw, source)
        try:
            self.head = SnapshotHead.model_validate(raw)
        except ValidationError as exc:
            raise SnapshotError(f"{source}: {first_error(exc, raw)}") from None
        problems = head_problems(self.head)
        if problems:
            raise SnapshotError(f"{source}: {problems[0]}")
        self.signer = Signer(raw)
        self.pilots = 0

    def rows(self) -> Iterator[FlatPilotRows]:
        refs = References(self.head)
        seen: dict[str, int] = {}
        hash_line = self.signer.pilot_bytes
        for text in self.reader.pilots():
            self.pilots += 1
            pilot = self._validated(text)
            rows = checked_rows(pilot, refs, seen, self.pilots)
            if isinstance(rows, list):
                raise SnapshotError(
                    f"{self.source}:{self.reader.line}: pilot {self.pilots} ({pilot['id']}): {rows[0]}"
                    + (f" (and {len(rows) - 1} more)" if len(rows) > 1 else "")
                )
            # The line itself goes into the digest: in the exporter's canonical form it is exactly what
            # was signed. A line in another form makes the digest differ: then a second pass hashes the
            # canonical form of each line, as digest_of does, and decides.
            hash_line(text)
            yield rows
        stated = self.reader.tail()["digest"]
        if stated != self.signer.digest():
            expected = self._canonical_digest()
            if stated != expected:
                raise SnapshotError(digest_mismatch(self.source, stated, expected))

    def _canonical_digest(self) -> str:
        """The digest of the file's content in canonical form, from a second pass over the file."""
        stream = self.reader.stream
        stream.seek(0)
        again = _LineReader(stream, self.source)
        signer = Signer(again.head())
        for text in again.pilots():
            signer.pilot(canonical(json.loads(text)))
        return signer.digest()

    def _validated(self, text: bytes) -> Any:
        try:
            return PILOT_LINE.validate_json(text)
        except ValidationError as exc:
            error = exc.errors()[0]
            if error["type"] == "json_invalid":
                raise NotLineLayout from None
            try:
                pilot_id = json.loads(text).get("id")
            except (ValueError, AttributeError):
                pilot_id = None
            message = pilot_error(self.pilots, pilot_id, error["loc"], str(error["msg"]))
            raise SnapshotError(f"{self.source}:{self.reader.line}: {message}") from None

    def progress(self, progress: Progress | None) -> Progress | None:
        """A progress callback in bytes of the file read (the number of pilots is known only at the end)."""
        if progress is None or not self.size:
            return None
        return lambda _done, _total: progress(self.reader.read, self.size)
