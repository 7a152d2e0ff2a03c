"""A bundle read and verified, as what the merge takes: first its chain (`Verified`), then its pilots in
batches of rows, each batch checked against the seal, then the digest of its bytes (`Read`). The one
function does it in this process (merge_file, and merge_files of small files) or in the verifier's process
(verifier.py), ahead of the merge; it reads the file and nothing of the portfolio but its columns
(sealed_columns), so it can run in a process of its own."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from caio_tui.io.offices.format import BundleHead
from caio_tui.io.offices.read import OfficeFile, open_office_file, valid_pilot
from caio_tui.io.snapshot.export import pilot_json
from caio_tui.store.bulk import no_cycle_collection
from caio_tui.store.office_seal import BundleRefused, ChainCheck, RowsCheck, SealCheck
from caio_tui.store.office_sides import Carried, carried

BATCH = 500  # pilots checked and merged at a time


@dataclass(frozen=True)
class Verified:
    """A bundle's head and its chain, verified from GENESIS (the merge gives it `watch` when its turn comes)."""

    send_id: str
    office: str
    chain: ChainCheck


@dataclass(frozen=True)
class Read:
    """The end of a bundle: every byte read and verified; the digest of them (office_bundle.file_digest)."""

    file_digest: str


Step = Verified | list[Carried] | Read


def verified_bundle(
    path: Path, source: str, ours: Mapping[str, Sequence[str]], *, batch: int = BATCH
) -> Iterator[Step]:
    """The bundle at `path` verified a step at a time: OfficeFileError (the file) or BundleRefused (its
    chain, seal or rows) at the first that does not hold together. `ours`: the portfolio's columns."""
    stream, file = open_office_file(path, source, "bundle")
    with stream, no_cycle_collection():
        head = file.head
        assert isinstance(head, BundleHead)
        chain = ChainCheck(head.send_id)
        for event in file.items("events"):
            chain.event(event)
        chain.finish(head.audit.head, head.audit.events)
        yield Verified(head.send_id, head.office, chain)
        yield from _pilots(file, head, chain, ours, batch)
        yield Read(file.file_digest)


def _pilots(
    file: OfficeFile, head: BundleHead, chain: ChainCheck, ours: Mapping[str, Sequence[str]], batch: int
) -> Iterator[list[Carried]]:
    """The bundle's pilots in batches, each checked against the seal (checked first: it comes before the
    pilots in the file), then the digest, and that it carried every pilot its chain names."""
    sealed = SealCheck()
    for row in file.items("seal"):
        sealed.row(row)
    sealed.finish(chain.state)
    rows = RowsCheck(ours, head.columns, sealed.pilots)
    seen: set[str] = set()
    try:
        items = iter(file.items("pilots"))
        index = 0
        while chunk := list(islice(items, batch)):
            checked = rows.check([_carried(file, raw) for raw in chunk])
            for whole in checked:
                index += 1
                valid_pilot(file, pilot_json(whole), index)
                seen.add(whole.pilot.id)
            yield [carried(whole) for whole in checked]
        file.finish()
    finally:
        rows.close()
    missing = sorted(chain.named.intersection(sealed.pilots) - seen)
    if missing:
        raise BundleRefused(f"it does not carry pilot {missing[0]}, which the office's chain changed")


def _carried(file: OfficeFile, raw: Any) -> tuple[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("rows"), dict):
        raise file.fail("not a carried pilot (an id and its rows)")
    return raw["id"], raw["rows"]
