"""The streaming reader of office files: the head parsed and validated first, then each section's items
one line at a time, then the digest, checked against every byte before it. Memory stays flat at any size.
The layout is the writer's (io/offices/format.py) and nothing else: an office file is a machine's file, so
anything else is refused in one line naming the line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from caio_tui.io.offices.format import OFFICE_FORMAT, OFFICE_VERSION, SECTIONS, BundleHead, OfficeFileError, SendHead
from caio_tui.io.snapshot.checks import first_error, pilot_error
from caio_tui.io.snapshot.reader import PILOT_LINE

_CLOSE = b"  ],"
_ITEM = b"    "
# The lines that open a section (the head's own lists open with their key too, but never with these names).
_OPENINGS = {f"  {json.dumps(name)}: [".encode() for names in SECTIONS.values() for name in names}


class OfficeFile:
    """An office file read in one pass: `head` (validated) on construction, then `items(name)` of each
    section in the order of its kind, then `finish()` (the digest). `file_digest` is the SHA-256 of every
    byte read (office_bundle.file_digest)."""

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self.stream = stream
        self.source = source
        self.line = 0
        self.content = hashlib.sha256()  # what the file's digest covers
        self.whole = hashlib.sha256()
        self.pending: bytes | None = None  # a section's opening line, read with the head
        raw = self._head()
        self.kind: str = raw["kind"]
        self.sections = list(SECTIONS[self.kind])
        try:
            self.head: SendHead | BundleHead = (SendHead if self.kind == "send" else BundleHead).model_validate(raw)
        except ValidationError as exc:
            raise OfficeFileError(f"{source}: {first_error(exc, raw)}") from None

    def fail(self, why: str) -> OfficeFileError:
        return OfficeFileError(f"{self.source}:{self.line}: {why}")

    def _next(self) -> bytes:
        try:
            data = self.stream.readline()
        except OSError as exc:
            raise OfficeFileError(f"{self.source}: cannot read ({exc.strerror})") from None
        self.line += 1
        self.whole.update(data)
        return data

    def _content(self) -> bytes:
        data = self._next()
        self.content.update(data)
        return data

    def _head(self) -> dict[str, Any]:
        lines: list[bytes] = []
        while True:
            data = self._content()
            if not data:
                raise self._no_section(b"".join(lines))
            if data.rstrip(b"\r\n") in _OPENINGS:
                self.pending = data
                break
            lines.append(data)
        try:
            raw = json.loads(b"".join(lines).rstrip().removesuffix(b",").decode("utf-8-sig") + "}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise OfficeFileError(f"{self.source}: not an office file from caio-tui (not JSON in its layout)") from None
        if not isinstance(raw, dict) or raw.get("format") != OFFICE_FORMAT:
            raise OfficeFileError(f"{self.source}: not a caio-tui office file (format {raw.get('format')!r})")
        if raw.get("version") != OFFICE_VERSION:
            raise OfficeFileError(
                f"{self.source}: office file version {raw.get('version')!r}; this caio-tui reads version "
                f"{OFFICE_VERSION}"
            )
        if raw.get("kind") not in SECTIONS:
            raise OfficeFileError(f"{self.source}: kind {raw.get('kind')!r}; an office file is a send or a bundle")
        return raw

    def _no_section(self, text: bytes) -> OfficeFileError:
        """The file ended before a section opened: an office file laid out by another program (valid JSON
        of the format, e.g. re-indented), a file cut short, or no office file at all."""
        try:
            whole = json.loads(text.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            whole = None
        if isinstance(whole, dict) and whole.get("format") == OFFICE_FORMAT:
            return OfficeFileError(
                f"{self.source}: not laid out as caio-tui writes office files (was it re-saved by another "
                "program?); ask for the file as caio-tui wrote it"
            )
        if isinstance(whole, dict | list):
            return OfficeFileError(f"{self.source}: not a caio-tui office file (JSON of another kind)")
        return self.fail("ends before its first section (cut short, or not an office file from caio-tui)")

    def items(self, name: str) -> Iterator[Any]:
        """Each item of the next section, which must be `name`, parsed."""
        if not self.sections or self.sections[0] != name:
            raise self.fail(f"expected the section {name!r} here")
        self.sections.pop(0)
        opening = self.pending if self.pending is not None else self._content()
        self.pending = None
        if opening.rstrip(b"\r\n") != f"  {json.dumps(name)}: [".encode():
            raise self.fail(f"expected the section {name!r}")
        first, comma = True, True  # every item but the last ends with a comma
        while True:
            data = self._content()
            stripped = data.rstrip(b"\r\n")
            if stripped == _CLOSE:
                if comma and not first:
                    raise self.fail(f"a comma after the last item of {name!r}")
                return
            if not data or not data.endswith(b"\n"):  # the end of the file, in a section or in an item
                raise self.fail(f"the file ends in its section {name!r}: it was cut short (copy it again)")
            if not comma or not stripped.startswith(_ITEM):
                raise self.fail(f"not an item of {name!r} in the office file's layout")
            first, comma = False, stripped.endswith(b",")
            try:
                yield json.loads(stripped[4:-1] if comma else stripped[4:])
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise self.fail(
                    f"not valid JSON ({exc.msg if isinstance(exc, json.JSONDecodeError) else exc})"
                ) from None

    def finish(self) -> None:
        """The digest line and the end: refused when the digest does not match every byte before it."""
        if self.sections:
            raise self.fail(f"the section {self.sections[0]!r} was not read")
        expected = "sha256:" + self.content.hexdigest()
        data = self._next()
        try:
            stated = json.loads("{" + data.decode("utf-8") + "}").get("digest")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise self.fail("expected the digest line") from None
        if self._next().rstrip(b"\r\n") != b"}" or self._next():
            raise self.fail("expected the end of the file after the digest")
        if stated != expected:
            ask = "ask the office for a new bundle" if self.kind == "bundle" else "ask the CAIO for a new send"
            raise OfficeFileError(
                f"{self.source}: digest does not match its content (the file was changed after it was written); {ask}"
            )

    @property
    def file_digest(self) -> str:
        return self.whole.hexdigest()


def open_office_file(path: Path, source: str, kind: str) -> tuple[BinaryIO, OfficeFile]:
    """The file at `path` opened and its head read; refused unless it is of `kind` (a send or a bundle)."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise OfficeFileError(f"{source}: cannot read ({exc.strerror})") from None
    try:
        file = OfficeFile(stream, source)
    except BaseException:
        stream.close()
        raise
    if file.kind != kind:
        stream.close()
        hint = "open it with 'caio-tui init --from'" if file.kind == "send" else "merge it with 'caio-tui merge'"
        raise OfficeFileError(f"{source}: a {file.kind}, not a {kind} ({hint})")
    return stream, file


def valid_pilot(file: OfficeFile, raw: Any, index: int) -> Any:
    """A snapshot pilot (a send's line, or a bundle's carried pilot as one), refused at its line if not."""
    try:
        return PILOT_LINE.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        pilot_id = raw.get("id") if isinstance(raw, dict) else None
        raise file.fail(pilot_error(index, pilot_id, error["loc"], str(error["msg"]))) from None
