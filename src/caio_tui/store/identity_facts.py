"""The imported identity facts: an export's records written as rows tied to their file, and read back per
application (what the rules see of a pilot's linked applications) and per portfolio (the application list).

Applications are known by a key: the IdP's id, or "name:" + the folded name for one that no record names
by id. A record that names an application only by its name (Okta's Current Assignments report) belongs to
the application of that name (case-insensitive) of the same vendor that some record names by id, whenever
one does, whatever the order the files came in; else to the name-only application.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from caio_tui.domain.identity import (
    AppRef,
    IdpApp,
    IdpAssignment,
    IdpCredential,
    IdpExport,
    IdpPerson,
    SignInTally,
    Vendor,
)
from caio_tui.domain.identity_findings import AppFacts
from caio_tui.domain.identity_rules import IdentityApp, ImportedFile

if TYPE_CHECKING:
    from caio_tui.store.session import Session

FACT_TABLES = ("idp_app", "idp_credential", "idp_assignment", "idp_person", "idp_sign_in")
NAME_PREFIX = "name:"


def fold(name: str) -> str:
    return " ".join(name.casefold().split())


def name_key(name: str) -> str:
    return NAME_PREFIX + fold(name)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


# ---- writing an export ---------------------------------------------------------------------------------


def counts(export: IdpExport) -> dict[str, int]:
    return {
        "apps": len(export.apps),
        "credentials": len(export.credentials),
        "assignments": len(export.assignments),
        "people": len(export.people),
        "sign_ins": len(export.sign_ins),
        "events": sum(t.events for t in export.sign_ins),
        "problems": len(export.problems),
    }


def imported_digests(session: Session) -> set[str]:
    return {str(r["digest"]) for r in session.read("SELECT digest FROM idp_file")}


def insert_export(conn: sqlite3.Connection, export: IdpExport, *, at: str, by: str, keep: bool) -> ImportedFile:
    """Write one export's rows (inside the caller's transaction)."""
    file = export.digest
    conn.execute(
        "INSERT INTO idp_file (digest, name, kind, vendor, imported_at, imported_by, records, counts, problems, "
        "first_event, last_event, as_of, kept_identities) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            file,
            export.file_name,
            export.kind.value,
            export.vendor.value,
            at,
            by,
            export.records,
            json.dumps(counts(export)),
            json.dumps([[p.where, p.message] for p in export.problems[:1000]], ensure_ascii=False),
            _day(export.first_event),
            _day(export.last_event),
            _day(export.as_of),
            int(keep),
        ),
    )
    _insert(conn, "idp_app", file, (_app_row(a) for a in export.apps))
    _insert(conn, "idp_credential", file, (_credential_row(c) for c in export.credentials))
    _insert(conn, "idp_assignment", file, (_assignment_row(a) for a in export.assignments))
    _insert(conn, "idp_person", file, (_person_row(p) for p in export.people))
    _insert(conn, "idp_sign_in", file, (_sign_in_row(t) for t in export.sign_ins))
    return ImportedFile(
        name=export.file_name,
        kind=export.kind.value,
        digest=file,
        records=export.records,
        counts=counts(export),
        problems=tuple(export.problems),
    )


def _insert(conn: sqlite3.Connection, table: str, file: str, values: Iterable[tuple[Any, ...]]) -> None:
    batch = [(file, seq, *row) for seq, row in enumerate(values, start=1)]
    if batch:
        marks = ", ".join("?" * len(batch[0]))
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)


def remove_files(conn: sqlite3.Connection, digests: Iterable[str]) -> None:
    for digest in digests:
        for table in FACT_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE file = ?", (digest,))
        conn.execute("DELETE FROM idp_file WHERE digest = ?", (digest,))


def _ref(ref: AppRef | None) -> tuple[str | None, str | None]:
    return (None, None) if ref is None else (ref.app_id, ref.name)


def _app_row(a: IdpApp) -> tuple[Any, ...]:
    return (
        a.ref.vendor.value,
        a.ref.app_id,
        a.ref.name,
        a.own_identity,
        a.strongest_credential,
        _flag(a.assignment_required),
        _flag(a.enabled),
        json.dumps(list(a.owners), ensure_ascii=False),
    )


def _credential_row(c: IdpCredential) -> tuple[Any, ...]:
    app_id, app_name = _ref(c.app)
    return (
        c.vendor.value,
        c.credential_id,
        c.kind,
        app_id,
        app_name,
        c.name,
        c.owner,
        c.client_name,
        _day(c.created),
        _day(c.expires),
        _day(c.last_used),
    )


def _assignment_row(a: IdpAssignment) -> tuple[Any, ...]:
    return (
        a.app.vendor.value,
        a.app.app_id,
        a.app.name,
        a.principal,
        a.principal_type,
        a.account,
        _flag(a.via_group),
        _day(a.assigned_on),
        _day(a.unassigned_on),
        _day(a.last_login),
        _flag(a.active),
    )


def _person_row(p: IdpPerson) -> tuple[Any, ...]:
    return (p.vendor.value, p.person, _flag(p.active), _day(p.last_sign_in))


def _sign_in_row(t: SignInTally) -> tuple[Any, ...]:
    return (
        t.app.vendor.value,
        t.app.app_id,
        t.app.name,
        t.account,
        t.account_kind,
        _flag(t.interactive),
        t.events,
        t.failures,
        t.devices,
        t.addresses,
        t.first.isoformat(),
        t.last.isoformat(),
        int(t.names_user),
        json.dumps(list(t.credential_types)),
    )


# ---- reading back --------------------------------------------------------------------------------------

Resolver = Callable[[str, str | None, str | None], str]


def resolver(session: Session) -> Resolver:
    """The key of the application a record names: its id, else the id of an application of that name of the
    same vendor, else its name-only key."""
    ids: dict[tuple[str, str], str] = {}
    for table in ("idp_app", "idp_credential", "idp_assignment", "idp_sign_in"):
        for r in session.read(
            f"SELECT DISTINCT vendor, app_id, app_name FROM {table} WHERE app_id IS NOT NULL AND app_name IS NOT NULL"
        ):
            ids.setdefault((r["vendor"], fold(r["app_name"])), str(r["app_id"]))

    def key(vendor: str, app_id: str | None, name: str | None) -> str:
        if app_id:
            return app_id
        return ids.get((vendor, fold(name or "")), name_key(name or ""))

    return key


def _ref_of(r: sqlite3.Row) -> AppRef:
    return AppRef(Vendor(r["vendor"]), r["app_id"], r["app_name"])


def app_of(r: sqlite3.Row) -> IdpApp:
    return IdpApp(
        ref=_ref_of(r),
        own_identity=r["own_identity"],
        strongest_credential=r["strongest_credential"],
        assignment_required=_bool(r["assignment_required"]),
        enabled=_bool(r["enabled"]),
        owners=tuple(json.loads(r["owners"])),
    )


def credential_of(r: sqlite3.Row) -> IdpCredential:
    app = None if r["app_name"] is None and r["app_id"] is None else _ref_of_credential(r)
    return IdpCredential(
        vendor=Vendor(r["vendor"]),
        credential_id=r["credential_id"],
        kind=r["kind"],
        app=app,
        name=r["name"],
        owner=r["owner"],
        client_name=r["client_name"],
        created=_date(r["created"]),
        expires=_date(r["expires"]),
        last_used=_date(r["last_used"]),
    )


def _ref_of_credential(r: sqlite3.Row) -> AppRef:
    return AppRef(Vendor(r["vendor"]), r["app_id"], r["app_name"] or r["app_id"] or "")


def assignment_of(r: sqlite3.Row) -> IdpAssignment:
    return IdpAssignment(
        app=_ref_of(r),
        principal=r["principal"],
        principal_type=r["principal_type"],
        account=r["account"],
        via_group=_bool(r["via_group"]),
        assigned_on=_date(r["assigned_on"]),
        unassigned_on=_date(r["unassigned_on"]),
        last_login=_date(r["last_login"]),
        active=_bool(r["active"]),
    )


def person_of(r: sqlite3.Row) -> IdpPerson:
    return IdpPerson(Vendor(r["vendor"]), r["person"], _bool(r["active"]), _date(r["last_sign_in"]))


def sign_in_of(r: sqlite3.Row) -> SignInTally:
    return SignInTally(
        app=_ref_of(r),
        account=r["account"],
        account_kind=r["account_kind"],
        interactive=_bool(r["interactive"]),
        events=int(r["events"]),
        failures=int(r["failures"]),
        devices=int(r["devices"]),
        addresses=int(r["addresses"]),
        first=date.fromisoformat(r["first"]),
        last=date.fromisoformat(r["last"]),
        names_user=bool(r["names_user"]),
        credential_types=tuple(json.loads(r["credential_types"])),
    )


def _files(session: Session) -> dict[str, sqlite3.Row]:
    return {str(r["digest"]): r for r in session.read("SELECT * FROM idp_file")}


def app_facts(session: Session, vendor: str, key: str, name: str) -> AppFacts:
    """Every fact the imported files hold about one application, each with its file's name."""
    resolve, files = resolver(session), _files(session)
    used: set[str] = set()

    def mine(table: str, build: Callable[[sqlite3.Row], Any]) -> tuple[tuple[Any, str], ...]:
        by_id = "" if key.startswith(NAME_PREFIX) else "app_id = ? OR "
        params = [vendor] + ([] if key.startswith(NAME_PREFIX) else [key])
        found = session.read(f"SELECT * FROM {table} WHERE vendor = ? AND ({by_id}app_id IS NULL)", params)
        picked = [r for r in found if _belongs(r, table, key, resolve)]
        used.update(r["file"] for r in picked)
        return tuple((build(r), files[r["file"]]["name"]) for r in picked)

    apps = mine("idp_app", app_of)
    facts = AppFacts(
        vendor=Vendor(vendor),
        key=key,
        name=apps[-1][0].ref.name if apps else name,
        app=apps[-1] if apps else None,  # the newest file's reading
        credentials=mine("idp_credential", credential_of),
        assignments=mine("idp_assignment", assignment_of),
        sign_ins=mine("idp_sign_in", sign_in_of),
    )
    people = _people(session, vendor, {a.principal for a, _ in facts.assignments if a.principal_type == "user"}, files)
    used.update(d for d, r in files.items() if r["name"] in {f for _, f in people.values()})
    dates = [_date(files[d]["as_of"]) or _date(files[d]["last_event"]) for d in used if d in files]
    as_of = max((d for d in dates if d is not None), default=None)
    return replace(facts, people=people, as_of=as_of)


def _belongs(r: sqlite3.Row, table: str, key: str, resolve: Resolver) -> bool:
    vendor = r["vendor"]
    if r["app_id"] is not None:
        return bool(r["app_id"] == key)
    name = r["app_name"]
    if table == "idp_credential" and name is None:
        name = r["client_name"]  # an API token not tied to an application: the client it was made from
        if name is None:
            return False
    return resolve(vendor, None, name) == key


def _people(
    session: Session, vendor: str, principals: set[str], files: dict[str, sqlite3.Row]
) -> dict[str, tuple[IdpPerson, str]]:
    """The directory accounts of these people, from the newest file that has each."""
    if not principals:
        return {}
    found = session.read(
        "SELECT * FROM idp_person WHERE vendor = ? AND person IN (SELECT value FROM json_each(?))",
        (vendor, json.dumps(sorted(principals))),
    )
    newest = sorted(found, key=lambda r: (files[r["file"]]["as_of"] or "", files[r["file"]]["imported_at"]))
    return {r["person"]: (person_of(r), files[r["file"]]["name"]) for r in newest}


def apps(session: Session, links: dict[tuple[str, str], list[str]]) -> list[IdentityApp]:
    """Every application the files know, with its facts counted; `links` (vendor, key) -> pilot ids."""
    resolve, files = resolver(session), _files(session)
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def entry(vendor: str, app_id: str | None, name: str | None) -> dict[str, Any]:
        key = resolve(vendor, app_id, name)
        return found.setdefault(
            (vendor, key), {"vendor": Vendor(vendor), "key": key, "app_id": None, "name": name or key, "files": set()}
        )

    for r in session.read("SELECT * FROM idp_app ORDER BY file, seq"):
        e = entry(r["vendor"], r["app_id"], r["app_name"])
        app = app_of(r)
        e.update(
            app_id=app.ref.app_id,
            name=app.ref.name,
            own_identity=app.own_identity,
            strongest_credential=app.strongest_credential,
            assignment_required=app.assignment_required,
            owners=app.owners,
        )
        e["files"].add(files[r["file"]]["name"])
    tallies = (
        ("idp_assignment", "assignments", "count(*)", ""),
        ("idp_credential", "credentials", "count(*)", " AND app_name IS NOT NULL"),
        ("idp_sign_in", "sign_in_events", "sum(events)", ""),
    )
    for table, field, total, extra in tallies:
        sql = f"SELECT vendor, app_id, app_name, file, {total} AS n FROM {table} WHERE 1 {extra} GROUP BY 1, 2, 3, 4"
        for r in session.read(sql):
            e = entry(r["vendor"], r["app_id"], r["app_name"])
            e[field] = e.get(field, 0) + int(r["n"] or 0)
            e["files"].add(files[r["file"]]["name"])
            if r["app_id"] and not e["app_id"]:
                e["app_id"] = r["app_id"]
    result = []
    for (vendor, key), e in sorted(found.items(), key=lambda kv: (kv[0][0], fold(kv[1]["name"]))):
        e["files"] = tuple(sorted(e["files"]))
        e["pilots"] = tuple(sorted(links.get((vendor, key), [])))
        result.append(IdentityApp(**e))
    return result
