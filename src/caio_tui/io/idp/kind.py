"""The handler every kind of export implements, and the span of time a file's events cover."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from caio_tui.domain.identity import IdpExport, PersonKeyer
from caio_tui.io.idp.fields import Record


class KindReader(Protocol):
    """Reads one kind's records (JSON objects, or CSV rows as header -> cell) into an `IdpExport`.

    `add` raises `RecordError` (or ValueError, TypeError) for a record it cannot read: the caller skips it
    and reports where it was. `finish` puts what was gathered into the export.
    """

    def add(self, record: Record) -> None: ...

    def finish(self, export: IdpExport) -> None: ...


class KindReaderFactory(Protocol):
    def __call__(self, keyer: PersonKeyer, file_name: str) -> KindReader: ...


class Span:
    """The first and last day of a file's events (retention: Okta keeps 90 days)."""

    __slots__ = ("first", "last")

    def __init__(self) -> None:
        self.first: date | None = None
        self.last: date | None = None

    def see(self, when: date) -> None:
        if self.first is None or when < self.first:
            self.first = when
        if self.last is None or when > self.last:
            self.last = when

    def into(self, export: IdpExport) -> None:
        export.first_event, export.last_event = self.first, self.last
        if export.as_of is None:
            export.as_of = self.last
