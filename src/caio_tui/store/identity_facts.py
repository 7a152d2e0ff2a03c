"""The imported identity facts: an export's records written as rows tied to their file, and read back per
application (what the rules see of a pilot's linked applications) and per portfolio (the application list).

Applications are known by a key: the IdP's id, or "name:" + the folded name for one that no record names
by id. A record that names an application only by its name (Okta's Current Assignments report) belongs to
the application of that name (case-insensitive) of the same vendor that some record names by id, whenever
exactly one does, whatever the order the files came in; else (none, or several sharing the name) to the
name-only application.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
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


def _fold_of(name: str | None) -> str | None:
    return None if name is None else fold(name)


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
        fold(a.ref.name),
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
        _fold_of(app_name or c.client_name),
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
        fold(a.app.name),
    )


def _person_row(p: IdpPerson) -> tuple[Any, ...]:
    return (p.vendor.value, p.person, _flag(p.active), _day(p.last_sign_in), json.dumps(list(p.aliases)))


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
        fold(t.app.name),
    )


# ---- reading back --------------------------------------------------------------------------------------

_BY_APP = ("idp_app", "idp_credential", "idp_assignment", "idp_sign_in")


class Resolver:
    """The key of the application a record names: its id, else the id of the one application of that name
    of the same vendor (some record names both), else its name-only key. A name two applications share
    (two service principals called "Chat Assistant") names neither: its records stay name-only, never guessed."""

    def __init__(self, session: Session) -> None:
        named: dict[tuple[str, str], set[str]] = {}
        for table in _BY_APP:
            for r in session.read(
                f"SELECT DISTINCT vendor, app_id, app_fold FROM {table} "
                "WHERE app_id IS NOT NULL AND app_fold IS NOT NULL"
            ):
                named.setdefault((r["vendor"], r["app_fold"]), set()).add(str(r["app_id"]))
        self.ids = {name: next(iter(ids)) for name, ids in named.items() if len(ids) == 1}
        self.shared = {name: len(ids) for name, ids in named.items() if len(ids) > 1}

    def __call__(self, vendor: str, app_id: str | None, name: str | None) -> str:
        if app_id:
            return app_id
        return self.ids.get((vendor, fold(name or "")), name_key(name or ""))

    def folded(self, vendor: str, folded: str) -> str:
        """The key of a record that names its application only by a name already folded."""
        return self.ids.get((vendor, folded)) or NAME_PREFIX + folded

    def folds(self, vendor: str, key: str) -> set[str]:
        """The folded names records may give this application by."""
        if key.startswith(NAME_PREFIX):
            return {key.removeprefix(NAME_PREFIX)}
        return {f for (v, f), k in self.ids.items() if v == vendor and k == key}


def resolver(session: Session) -> Resolver:
    return Resolver(session)


def shared_names(session: Session, digests: list[str]) -> tuple[str, ...]:
    """The names these files' name-only records give that several applications share ("okta 'chat'
    (2 applications)"): their records stay apart from every one of them."""
    shared = resolver(session).shared
    found: set[tuple[str, str]] = set()
    for table in _BY_APP:
        found |= {
            (r["vendor"], r["app_fold"])
            for r in session.read(
                f"SELECT DISTINCT vendor, app_fold FROM {table} WHERE app_id IS NULL "
                "AND file IN (SELECT value FROM json_each(?))",
                (json.dumps(digests),),
            )
            if (r["vendor"], r["app_fold"]) in shared
        }
    return tuple(f"{v} {name!r} ({shared[(v, name)]} applications)" for v, name in sorted(found))


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
    return IdpPerson(
        Vendor(r["vendor"]),
        r["person"],
        _bool(r["active"]),
        _date(r["last_sign_in"]),
        tuple(json.loads(r["aliases"])),
    )


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


AppKey = tuple[str, str]  # (vendor, application key)


def facts_by_app(session: Session, wanted: set[AppKey]) -> dict[AppKey, AppFacts]:
    """Everything the imported files hold about these applications, each record with its file's name: one
    pass over each table, whatever the number of applications (a sync derives every linked pilot's)."""
    resolve, files = resolver(session), _files(session)
    if not wanted or not files:
        return {k: AppFacts(vendor=Vendor(k[0]), key=k[1], name=k[1]) for k in wanted}
    found: dict[AppKey, dict[str, list[tuple[Any, str]]]] = {k: {} for k in wanted}
    used: dict[AppKey, set[str]] = {k: set() for k in wanted}
    for table, build in (
        ("idp_app", app_of),
        ("idp_credential", credential_of),
        ("idp_assignment", assignment_of),
        ("idp_sign_in", sign_in_of),
    ):
        rows = _rows_of(session, table, wanted, resolve)
        # Oldest file first, so the last reading of an application is the newest file's.
        rows.sort(key=lambda r: (files[r["file"]]["as_of"] or "", files[r["file"]]["imported_at"], r["seq"]))
        for r in rows:
            key = (r["vendor"], _key_of(r, table, resolve))
            if key in found:
                found[key].setdefault(table, []).append((build(r), files[r["file"]]["name"]))
                used[key].add(r["file"])
    return {key: _app_facts(session, key, parts, used[key], files) for key, parts in found.items()}


def _rows_of(session: Session, table: str, wanted: set[AppKey], resolve: Resolver) -> list[sqlite3.Row]:
    """The rows that may name these applications (by id, or by a name they go by)."""
    found: list[sqlite3.Row] = []
    for vendor in sorted({v for v, _ in wanted}):
        keys = [k for v, k in wanted if v == vendor]
        ids = [k for k in keys if not k.startswith(NAME_PREFIX)]
        folds = sorted({f for k in keys for f in resolve.folds(vendor, k)})
        found += session.read(
            f"SELECT * FROM {table} WHERE vendor = ? AND app_id IN (SELECT value FROM json_each(?)) "
            f"UNION ALL SELECT * FROM {table} WHERE vendor = ? AND app_id IS NULL "
            "AND app_fold IN (SELECT value FROM json_each(?))",
            (vendor, json.dumps(ids), vendor, json.dumps(folds)),
        )
    return found


def _key_of(r: sqlite3.Row, table: str, resolve: Resolver) -> str:
    if r["app_id"] is not None:
        return str(r["app_id"])
    # app_fold: the name folded as written (for an API token not tied to an application, its client's)
    folded = r["app_fold"]
    return "" if folded is None else resolve.folded(r["vendor"], folded)


def _app_facts(
    session: Session,
    key: AppKey,
    parts: dict[str, list[tuple[Any, str]]],
    used: set[str],
    files: dict[str, sqlite3.Row],
) -> AppFacts:
    """One application's facts; `used`: the files its records came from."""
    apps = parts.get("idp_app", [])
    assignments = tuple(parts.get("idp_assignment", ()))
    users = {a.principal for a, _ in assignments if a.principal_type == "user"}
    people = _people(session, key[0], users, files)
    # When the assignments and the directory were exported: what "no sign-in for 90 days" is counted from
    # (every file of the application's when none of those says).
    named = {f for _, f in people.values()} | {f for _, f in assignments}
    dated = {d for d, r in files.items() if r["name"] in named} or used
    dates = [_date(files[d]["as_of"]) or _date(files[d]["last_event"]) for d in dated if d in files]
    names = [a.ref.name for a, _ in apps] or [a.app.name for a, _ in assignments]
    return AppFacts(
        vendor=Vendor(key[0]),
        key=key[1],
        name=names[-1] if names else key[1].removeprefix(NAME_PREFIX),
        app=apps[-1] if apps else None,  # the newest file's reading
        credentials=tuple(parts.get("idp_credential", ())),
        assignments=assignments,
        people=people,
        sign_ins=tuple(parts.get("idp_sign_in", ())),
        as_of=max((d for d in dates if d is not None), default=None),
    )


def _people(
    session: Session, vendor: str, principals: set[str], files: dict[str, sqlite3.Row]
) -> dict[str, tuple[IdpPerson, str]]:
    """The directory accounts of these people (named by their key or by one of their aliases: an
    assignment may name a person by object id where the users export names them by login), from the newest
    file that has each."""
    if not principals:
        return {}
    wanted = json.dumps(sorted(principals))
    found = session.read(
        "SELECT * FROM idp_person p WHERE vendor = ? AND (person IN (SELECT value FROM json_each(?)) OR EXISTS "
        "(SELECT 1 FROM json_each(p.aliases) a WHERE a.value IN (SELECT value FROM json_each(?))))",
        (vendor, wanted, wanted),
    )
    newest = sorted(found, key=lambda r: (files[r["file"]]["as_of"] or "", files[r["file"]]["imported_at"]))
    people: dict[str, tuple[IdpPerson, str]] = {}
    for r in newest:
        person = person_of(r)
        for key in {person.person, *person.aliases} & principals:
            people[key] = (person, files[r["file"]]["name"])
    return people


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
