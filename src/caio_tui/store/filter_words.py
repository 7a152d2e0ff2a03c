"""The words a filter may name that the portfolio knows (its blocker tags and offices), for the filter's
"did you mean" (domain.filter_hints). Read again only after a write: every write appends an audit event,
so the newest event's id says whether the remembered words still hold (another program's writes too)."""

from __future__ import annotations

import threading

from caio_tui.domain.filter_hints import FilterVocabulary
from caio_tui.store.session import Session


class FilterWords:
    """The portfolio's filter vocabulary, remembered until the next write (the app parses at each key)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._lock = threading.Lock()  # the UI thread and workers
        self._tags: tuple[int, tuple[str, ...]] | None = None  # (the newest event's id, the words)
        self._offices: tuple[int, tuple[str, ...]] | None = None

    def vocabulary(self, *, offices: bool = True) -> FilterVocabulary:
        """The tags, and the offices when asked: DISTINCT walks the (office, id) index, one step per pilot
        (17 ms at 100,000), so a filter that names no office does not pay for them."""
        head = self.session.one("SELECT max(id) AS id FROM audit_event")
        at = int(head["id"] or 0) if head else 0
        tags = self._read(at, "_tags", "SELECT tag AS word FROM blocker_tag ORDER BY tag")
        if not offices:
            return FilterVocabulary(tags=tags)
        found = self._read(at, "_offices", "SELECT DISTINCT office AS word FROM pilot ORDER BY office")
        return FilterVocabulary(tags=tags, offices=found)

    def _read(self, at: int, slot: str, sql: str) -> tuple[str, ...]:
        with self._lock:
            known: tuple[int, tuple[str, ...]] | None = getattr(self, slot)
        if known is not None and known[0] == at:
            return known[1]
        words = tuple(r["word"] for r in self.session.read(sql))
        with self._lock:
            setattr(self, slot, (at, words))
        return words
