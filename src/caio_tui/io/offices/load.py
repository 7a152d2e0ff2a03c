"""A send opened as the office's own portfolio (`init --from`): the file streamed through the snapshot's
checks and bulk load, in one transaction (a refusal at any line leaves the portfolio as it was). A bundle
merged into the CAIO's portfolio: verify.py and merge.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from caio_tui.domain.coverage import Catalog
from caio_tui.io.offices.format import OfficeFileError, SendHead
from caio_tui.io.offices.read import OfficeFile, open_office_file, valid_pilot
from caio_tui.io.snapshot.checks import References, head_problems
from caio_tui.io.snapshot.rows import checked_rows
from caio_tui.io.snapshot.schema import SnapshotHead
from caio_tui.store import Portfolio
from caio_tui.store.bulk import no_cycle_collection
from caio_tui.store.insert_rows import FlatPilotRows
from caio_tui.store.offices import SendRecord, open_send
from caio_tui.store.transfer import RulesRevision


def open_send_file(portfolio: Portfolio, path: Path, *, source: str) -> tuple[SendRecord, int]:
    """Make an empty portfolio the office's portfolio of the send at `path`; returns the send and its pilots."""
    stream, file = open_office_file(path, source, "send")
    with stream, no_cycle_collection():
        head = file.head
        assert isinstance(head, SendHead)
        as_snapshot = SnapshotHead.model_validate(
            {
                "format": "caio-tui-snapshot",
                "version": 1,
                "taken_at": head.sent_at,
                "taken_by": head.sent_by,
                "portfolio": head.portfolio,
                "frameworks": head.frameworks,
                "tags": head.tags,
                "gate_rules": head.gate_rules,
            }
        )
        problems = head_problems(as_snapshot)
        if problems:
            raise OfficeFileError(f"{source}: {problems[0]}")
        record = SendRecord(head.send_id, head.office, head.sent_at, head.sent_by, head.chain_head, head.id_prefix)
        rules = head.gate_rules
        loaded = open_send(
            portfolio,
            record,
            name=head.portfolio.name,
            catalog=Catalog(frameworks=tuple(head.frameworks)),
            tags=list(head.tags),
            rules=RulesRevision(rules.revision, rules.created_at, rules.actor, rules.rules),
            pilots=_sent_pilots(file, as_snapshot),
            source=f"office send {record.id}",
        )
    return record, loaded


def _sent_pilots(file: OfficeFile, head: SnapshotHead) -> Iterator[FlatPilotRows]:
    refs, seen = References(head), dict[str, int]()
    for index, raw in enumerate(file.items("pilots"), start=1):
        pilot = valid_pilot(file, raw, index)
        rows = checked_rows(pilot, refs, seen, index)
        if isinstance(rows, list):
            raise file.fail(f"pilot {index} ({pilot['id']}): {rows[0]}")
        yield rows
    file.finish()
