"""Office files into a portfolio: a send opened as the office's own portfolio (`init --from`), and a bundle
verified and merged into the CAIO's (`merge`). Both stream the file: a send through the snapshot's checks
and bulk load, a bundle batch by batch, each batch checked against the seal before the store merges it,
all in one transaction (a refusal at any line leaves the portfolio as it was)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from caio_tui.domain.coverage import Catalog
from caio_tui.io.offices.format import BundleHead, OfficeFileError, SendHead
from caio_tui.io.offices.read import OfficeFile
from caio_tui.io.snapshot.checks import References, head_problems, pilot_error, pilot_problems
from caio_tui.io.snapshot.export import pilot_json
from caio_tui.io.snapshot.reader import PILOT_LINE
from caio_tui.io.snapshot.rows import line_rows
from caio_tui.io.snapshot.schema import SnapshotHead
from caio_tui.store import Portfolio
from caio_tui.store.bulk import no_cycle_collection
from caio_tui.store.office_apply import MergeOutcome, last_merged, merge
from caio_tui.store.office_seal import BundleRefused, ChainCheck, RowsCheck, SealCheck
from caio_tui.store.offices import SendRecord, open_send
from caio_tui.store.transfer import PilotRows, RulesRevision

BATCH = 500  # pilots checked and merged at a time


def _open(path: Path, source: str, kind: str) -> tuple[Any, OfficeFile]:
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


# ---- a send, opened by its office ---------------------------------------------------------------------


def open_send_file(portfolio: Portfolio, path: Path, *, source: str) -> tuple[SendRecord, int]:
    """Make an empty portfolio the office's portfolio of the send at `path`; returns the send and its pilots."""
    stream, file = _open(path, source, "send")
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


def _sent_pilots(file: OfficeFile, head: SnapshotHead) -> Iterator[PilotRows]:
    refs, seen = References(head), dict[str, int]()
    for index, raw in enumerate(file.items("pilots"), start=1):
        pilot = _valid_pilot(file, raw, index)
        problems = pilot_problems(pilot, refs, seen, index)
        if problems:
            raise file.fail(f"pilot {index} ({pilot['id']}): {problems[0]}")
        yield line_rows(pilot)
    file.finish()


def _valid_pilot(file: OfficeFile, raw: Any, index: int) -> Any:
    try:
        return PILOT_LINE.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        pilot_id = raw.get("id") if isinstance(raw, dict) else None
        raise file.fail(pilot_error(index, pilot_id, error["loc"], str(error["msg"]))) from None


# ---- a bundle, merged by the CAIO -------------------------------------------------------------------------


def merge_file(portfolio: Portfolio, path: Path, *, source: str) -> MergeOutcome:
    """Verify the bundle at `path` and merge it: one transaction, one audit event. OfficeFileError (the
    file) or BundleRefused (its chain, seal or rows) in one line when it does not hold together."""
    stream, file = _open(path, source, "bundle")
    with stream, no_cycle_collection():
        head = file.head
        assert isinstance(head, BundleHead)
        try:
            last = last_merged(portfolio, head.send_id)
            chain = ChainCheck(head.send_id, watch=last.events if last else None)
            for event in file.items("events"):
                chain.event(event)
            chain.finish(head.audit.head, head.audit.events)
            return merge(
                portfolio,
                send_id=head.send_id,
                office=head.office,
                chain=chain,
                file_digest=lambda: file.file_digest,  # of the bytes verified, once all are read
                batches=_verified(portfolio, file, head, chain),
            )
        except BundleRefused as exc:
            then = f"; {exc.next_step}" if exc.next_step else ""
            raise OfficeFileError(f"{source}: refused: {exc}; nothing was merged{then}") from None


def _verified(portfolio: Portfolio, file: OfficeFile, head: BundleHead, chain: ChainCheck) -> Iterator[list[PilotRows]]:
    """The bundle's pilots in batches, each checked against the seal (checked first: it comes before the
    pilots in the file), then the digest, and that it carried every pilot its chain names."""
    sealed = SealCheck()
    for row in file.items("seal"):
        sealed.row(row)
    sealed.finish(chain.state)
    rows = RowsCheck(portfolio.conn, head.columns, sealed.pilots)
    carried: set[str] = set()
    try:
        items = iter(file.items("pilots"))
        index = 0
        while batch := list(islice(items, BATCH)):
            checked = rows.check([_carried(file, raw) for raw in batch])
            for whole in checked:
                index += 1
                _valid_pilot(file, pilot_json(whole), index)
                carried.add(whole.pilot.id)
            yield checked
        file.finish()
    finally:
        rows.close()
    missing = sorted(chain.named.intersection(sealed.pilots) - carried)
    if missing:
        raise BundleRefused(f"it does not carry pilot {missing[0]}, which the office's chain changed")


def _carried(file: OfficeFile, raw: Any) -> tuple[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("rows"), dict):
        raise file.fail("not a carried pilot (an id and its rows)")
    return raw["id"], raw["rows"]
