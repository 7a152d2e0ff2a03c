"""Writing office files: a send (CAIO side: the office's pilots as snapshot pilots, recorded as sent in the
same transaction) and a bundle (office side: its chain, its seal and the pilots it changed), each streamed
pilot by pilot in the layout of io/offices/format.py, its digest written last."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from caio_tui.io.offices.format import OFFICE_FORMAT, OFFICE_VERSION
from caio_tui.io.snapshot.digest import canonical, encode
from caio_tui.io.snapshot.export import definitions, header_lines, pilot_json
from caio_tui.io.snapshot.times import utc_text
from caio_tui.store import Portfolio
from caio_tui.store.offices import SendRecord, reading_bundle, send
from caio_tui.store.transfer import PilotRows, PortfolioHeader


class _Out:
    """The file being written, hashed as it goes (the digest covers every byte before its own line)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.hash = hashlib.sha256()

    def write(self, text: str) -> None:
        data = encode(text)
        self.hash.update(data)
        self.out.write(data)

    def head(self, head: Mapping[str, Any]) -> None:
        self.write("{\n" + "".join(header_lines(head)))

    def section(self, name: str, items: Iterator[Any]) -> int:
        self.write(f"  {json.dumps(name)}: [\n")
        count = 0
        for item in items:
            self.write((",\n" if count else "") + "    " + canonical(item))
            count += 1
        self.write(("\n" if count else "") + "  ],\n")
        return count

    def end(self) -> str:
        digest = "sha256:" + self.hash.hexdigest()
        self.out.write(encode(f'  "digest": {json.dumps(digest)}\n}}\n'))
        return digest


def write_send(portfolio: Portfolio, office: str, out: BinaryIO) -> tuple[SendRecord, int]:
    """Send `office` its pilots into `out`; returns the send and its number of pilots."""
    file = _Out(out)

    def write(record: SendRecord, header: PortfolioHeader, pilots: Iterator[PilotRows]) -> None:
        file.head(_send_head(record, header))
        file.section("pilots", (pilot_json(whole) for whole in pilots))
        file.end()

    return send(portfolio, office, write)


def _send_head(record: SendRecord, header: PortfolioHeader) -> dict[str, Any]:
    # The store keeps times in the file's form (UTC, to the second), as snapshots write them.
    return {
        "format": OFFICE_FORMAT,
        "version": OFFICE_VERSION,
        "kind": "send",
        "send_id": record.id,
        "office": record.office,
        "sent_at": record.sent_at,
        "sent_by": record.actor,
        "chain_head": record.chain_head,
        "id_prefix": record.id_prefix,
        **definitions(header),
    }


@dataclass(frozen=True)
class BundleWritten:
    send: SendRecord
    head: tuple[int, str]
    carried: int  # pilots changed or created since the send
    digest: str


def write_bundle(portfolio: Portfolio, out: BinaryIO) -> BundleWritten:
    """Write the office's bundle into `out`: its whole chain, its seal, and each pilot its chain names since
    the send (changed back or not), each it created, and each that differs from what was sent."""
    file = _Out(out)
    with reading_bundle(portfolio) as source:
        file.head(
            {
                "format": OFFICE_FORMAT,
                "version": OFFICE_VERSION,
                "kind": "bundle",
                "send_id": source.send.id,
                "office": source.send.office,
                "written_at": utc_text(portfolio.clock()),
                "written_by": portfolio.actor,
                "audit": {"events": source.head[0], "head": source.head[1]},
                "columns": source.columns,
            }
        )
        file.section("events", source.events())
        file.section("seal", (list(row) for row in source.seal()))
        carried = file.section("pilots", ({"id": i, "rows": rows} for i, rows in source.pilots()))
        digest = file.end()
    return BundleWritten(source.send, source.head, carried, digest)
