"""Offices, the store's side of a send and of a bundle: the CAIO records a send (office_send and the base of
each pilot sent, in the transaction that writes the file); an office opens a send as a portfolio of its own
(`init --from`); an office's bundle is read in one read transaction (its chain, its seal, the pilots its
chain names since the send or that differ from it). Sends and merges are the CAIO's: refused in an
office's portfolio. Merging a bundle is store/office_apply.py."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from caio_tui.domain.blockers import BlockerTag
from caio_tui.domain.coverage import Catalog
from caio_tui.domain.office_merge import PilotSide
from caio_tui.domain.office_values import office_named
from caio_tui.store.errors import StoreError
from caio_tui.store.insert_rows import FlatPilotRows, PilotRows, unflat_rows
from caio_tui.store.office_sides import bases, chunked, pilot_rows, put_bases, side_of
from caio_tui.store.portfolio import Portfolio
from caio_tui.store.replace import replace_contents
from caio_tui.store.seal_digest import PER_PILOT, columns
from caio_tui.store.transfer import PortfolioHeader, RulesRevision, read_header

OFFICE_SEND_KEY = "office.send"  # meta: in an office's portfolio, the send it was opened from


@dataclass(frozen=True)
class SendRecord:
    """One send: an office's pilots as the CAIO sent them (office_send)."""

    id: str
    office: str
    sent_at: str
    actor: str
    chain_head: str  # the CAIO's newest audit event when sent
    id_prefix: str = ""  # the office mints the ids of the pilots it creates with it


def office_counts(portfolio: Portfolio) -> dict[str, int]:
    """Each office named by a pilot, with its number of pilots."""
    rows = portfolio.session.read("SELECT office, count(*) AS n FROM pilot WHERE office != '' GROUP BY office")
    return {str(r["office"]): int(r["n"]) for r in rows}


def find_send(portfolio: Portfolio, send_id: str) -> SendRecord | None:
    row = portfolio.session.one("SELECT * FROM office_send WHERE id = ?", (send_id,))
    if row is None:
        return None
    return SendRecord(row["id"], row["office"], row["sent_at"], row["actor"], row["chain_head"], row["id_prefix"])


# ---- the CAIO sends ---------------------------------------------------------------------------------------

SendWriter = Callable[[SendRecord, PortfolioHeader, Iterator[PilotRows]], None]


def send(portfolio: Portfolio, office: str, write: SendWriter) -> tuple[SendRecord, int]:
    """Send an office its pilots: `write` gets the send, the portfolio's rules and tags and the pilots one by
    one (it writes the file); the send and each pilot's base are recorded in the same transaction, with
    one audit event. Returns the send and its number of pilots. An office with no pilot is refused."""
    with portfolio.session.transaction():
        conn = portfolio.conn
        refuse_in_office_portfolio(portfolio, "send from the CAIO's portfolio; nothing was sent")
        ids = [str(r[0]) for r in conn.execute("SELECT id FROM pilot WHERE office = ? ORDER BY id", (office,))]
        if not ids:
            known = ", ".join(sorted(office_counts(portfolio))) or "none"
            raise StoreError(f"no pilot has the office {office!r}; offices: {known}; nothing was sent")
        record = SendRecord(
            secrets.token_hex(8),
            office,
            portfolio.timestamp(),
            portfolio.actor,
            portfolio.audit_head()[1],
            _id_prefix(conn, office),
        )
        conn.execute("INSERT INTO office_send VALUES (?, ?, ?, ?, ?, ?)", _send_row(record))

        def pilots() -> Iterator[PilotRows]:
            for chunk in chunked(ids):
                found = pilot_rows(conn, chunk)
                put_bases(conn, record.id, {i: side_of(found[i]) for i in chunk})
                yield from (found[i] for i in chunk)

        write(record, read_header(portfolio), pilots())
        portfolio.append_event(
            "office.send",
            None,
            None,
            {
                "summary": f"sent {len(ids)} pilot(s) to office {office!r} (send {record.id})",
                "send_id": record.id,
                "office": office,
                "pilots": len(ids),
                "chain_head": record.chain_head,
            },
        )
    return record, len(ids)


def _id_prefix(conn: sqlite3.Connection, office: str) -> str:
    """The prefix of the ids the office will mint: its initials (GMO-), numbered when another send or a
    pilot id already starts with them (GMO2-), and never the CAIO's own AI-."""
    words = re.findall(r"[A-Za-z0-9]+", office)
    initials = "".join(w[0] for w in words if w[0].isupper() or w[0].isdigit())[:6].upper() or "OFFICE"
    for number in itertools.count(1):
        prefix = f"{initials}{number if number > 1 else ''}-"
        taken = conn.execute(
            "SELECT 1 FROM office_send WHERE id_prefix = ? UNION ALL "
            "SELECT 1 FROM pilot WHERE substr(id, 1, length(?)) = ? LIMIT 1",
            (prefix, prefix, prefix),
        ).fetchone()
        if prefix != "AI-" and taken is None:
            return prefix
    raise AssertionError("unreachable")


def office_of_portfolio(portfolio: Portfolio) -> SendRecord | None:
    """The send this portfolio was opened from, when it is an office's portfolio (None: the CAIO's)."""
    send_id = portfolio.meta(OFFICE_SEND_KEY)
    return find_send(portfolio, send_id) if send_id else None


def refuse_in_office_portfolio(portfolio: Portfolio, what: str) -> None:
    """Sends and merges are the CAIO's: refused, in one line, in an office's portfolio."""
    record = office_of_portfolio(portfolio)
    if record is not None:
        raise StoreError(f"this is the portfolio of {office_named(record.office)} (from send {record.id}): {what}")


def _send_row(record: SendRecord) -> tuple[str, ...]:
    return record.id, record.office, record.sent_at, record.actor, record.chain_head, record.id_prefix


# ---- the office opens a send ----------------------------------------------------------------------------


def open_send(
    portfolio: Portfolio,
    record: SendRecord,
    *,
    name: str,
    catalog: Catalog,
    tags: list[BlockerTag],
    rules: RulesRevision,
    pilots: Iterable[FlatPilotRows],
    source: str,
) -> int:
    """An empty portfolio becomes the office's: the send's rules, tags and pilots, the send and each pilot's
    base recorded, in one transaction with one event (office.init) naming the send and the CAIO's head."""
    sent: dict[str, PilotSide] = {}

    def recorded() -> Iterator[FlatPilotRows]:
        for flat in pilots:
            sent[flat.pilot.id] = side_of(unflat_rows(flat))
            yield flat

    def then() -> None:
        conn = portfolio.conn
        conn.execute("INSERT INTO office_send VALUES (?, ?, ?, ?, ?, ?)", _send_row(record))
        put_bases(conn, record.id, sent)
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (OFFICE_SEND_KEY, record.id))

    return replace_contents(
        portfolio,
        name=name,
        catalog=catalog,
        tags=tags,
        rules=rules,
        pilots=recorded(),
        source=source,
        summary=lambda n: f"opened send {record.id} to office {record.office!r}: {n} pilot(s)",
        then=then,
        action="office.init",
        event={"send_id": record.id, "office": record.office, "chain_head": record.chain_head},
    )


def own_send(portfolio: Portfolio) -> SendRecord:
    """The send an office's portfolio was opened from (StoreError in a portfolio that was not)."""
    record = office_of_portfolio(portfolio)
    if record is None:
        raise StoreError(
            f"{portfolio.path}: not an office's portfolio (open a send with 'caio-tui init --from FILE'); "
            "nothing was bundled"
        )
    return record


# ---- the office's bundle, read --------------------------------------------------------------------------


@dataclass
class BundleSource:
    """What an office's bundle carries, read in one read transaction: call events(), seal(), pilots() once
    each, in that order (the file's)."""

    conn: sqlite3.Connection
    send: SendRecord
    head: tuple[int, str]
    columns: dict[str, list[str]]
    carried: int = 0

    def events(self) -> Iterator[dict[str, Any]]:
        cursor = self.conn.cursor()
        cursor.row_factory = None
        names = columns(self.conn, "audit_event")
        for row in cursor.execute("SELECT * FROM audit_event WHERE id <= ? ORDER BY id", (self.head[0],)):
            yield dict(zip(names, row, strict=True))

    def seal(self) -> Iterator[tuple[str, str, str]]:
        cursor = self.conn.cursor()
        cursor.row_factory = None
        for tbl, grp, digest in cursor.execute("SELECT tbl, grp, digest FROM state_seal ORDER BY tbl, grp"):
            yield str(tbl), str(grp), bytes(digest).hex()

    def pilots(self) -> Iterator[tuple[str, dict[str, list[list[Any]]]]]:
        """(id, its rows by table, every column) of each pilot the chain names after the office opened the
        send (changed back or not: a change the CAIO merged may have been reverted since), each pilot the
        office created, and each that differs from its base (a bulk step names no pilot in its event)."""
        named = named_since_init(self.conn)
        ids = [str(r[0]) for r in self.conn.execute("SELECT id FROM pilot ORDER BY id")]
        for chunk in chunked(ids):
            found = pilot_rows(self.conn, chunk)
            base = bases(self.conn, self.send.id, chunk)
            changed = [i for i in chunk if i in named or i not in base or side_of(found[i]) != base[i]]
            self.carried += len(changed)
            yield from raw_rows(self.conn, changed)


def named_since_init(conn: sqlite3.Connection) -> set[str]:
    """The pilots the office's chain names after its office.init event (the merge checks the same set)."""
    sql = (
        "SELECT DISTINCT pilot_id FROM audit_event WHERE pilot_id IS NOT NULL "
        "AND id > (SELECT max(id) FROM audit_event WHERE action = 'office.init')"
    )
    return {str(r[0]) for r in conn.execute(sql)}


def created_tags(conn: sqlite3.Connection) -> list[str]:
    """Tags created in the office's portfolio after it opened the send that it still holds."""
    sql = (
        "SELECT e.after FROM audit_event e WHERE e.action = 'tag.create' "
        "AND e.id > (SELECT max(id) FROM audit_event WHERE action = 'office.init')"
    )
    names = [str(json.loads(r[0]).get("tag", "")) for r in conn.execute(sql)]
    return [n for n in names if conn.execute("SELECT 1 FROM blocker_tag WHERE tag = ?", (n,)).fetchone()]


_ORDER = {"pilot": "id", "coverage": "pilot_id, item_id", "blocker": "pilot_id, resolved_at, id"}


def raw_rows(conn: sqlite3.Connection, ids: list[str]) -> Iterator[tuple[str, dict[str, list[list[Any]]]]]:
    """Every column of these pilots' rows in the four sealed tables, in the seal's order."""
    if not ids:
        return
    marks = ", ".join("?" * len(ids))
    found: dict[str, dict[str, list[list[Any]]]] = {i: {t: [] for t in PER_PILOT} for i in ids}
    cursor = conn.cursor()
    cursor.row_factory = None
    for table in PER_PILOT:
        key = "id" if table == "pilot" else "pilot_id"
        at = columns(conn, table).index(key)
        order = _ORDER.get(table, "pilot_id, id")
        for row in cursor.execute(f"SELECT * FROM {table} WHERE {key} IN ({marks}) ORDER BY {order}", ids):
            found[str(row[at])][table].append(list(row))
    yield from found.items()


@contextmanager
def reading_bundle(portfolio: Portfolio) -> Iterator[BundleSource]:
    """The office's portfolio as its bundle carries it, all from one state of the file."""
    record = own_send(portfolio)
    with portfolio.session.lock:
        conn = portfolio.conn
        conn.execute("BEGIN")
        try:
            tags = created_tags(conn)
            if tags:
                raise StoreError(
                    f"the tag {tags[0]!r} was created in this office's portfolio and tags are the CAIO's: "
                    "ask the CAIO to create it and send again (or undo the tag here); nothing was bundled"
                )
            head = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
            yield BundleSource(conn, record, (int(head[0]), str(head[1])), {t: columns(conn, t) for t in PER_PILOT})
        finally:
            with contextlib.suppress(sqlite3.DatabaseError):
                conn.execute("ROLLBACK")
