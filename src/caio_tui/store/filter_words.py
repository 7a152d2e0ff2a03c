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
        self._known: tuple[int, FilterVocabulary] | None = None

    def vocabulary(self) -> FilterVocabulary:
        head = self.session.one("SELECT max(id) AS id FROM audit_event")
        at = int(head["id"] or 0) if head else 0
        with self._lock:
            if self._known is not None and self._known[0] == at:
                return self._known[1]
        tags = tuple(r["tag"] for r in self.session.read("SELECT tag FROM blocker_tag ORDER BY tag"))
        # DISTINCT walks the (office, id) index: one step per pilot, 10 ms at 100,000 (docs/performance.md).
        offices = tuple(r["office"] for r in self.session.read("SELECT DISTINCT office FROM pilot ORDER BY office"))
        words = FilterVocabulary(tags=tags, offices=offices)
        with self._lock:
            self._known = (at, words)
        return words
