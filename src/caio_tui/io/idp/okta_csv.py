"""Okta's CSV downloads: the Current Assignments report, and the System Log as the admin console saves it.

The Current Assignments report (Reports > Application Access Audit > Current Assignments, a CSV link by
e-mail) has User, Login, Application name, Application instance, Application login, Assigned on, Unassigned
on, Last login, Last password change. The System Log download flattens each LogEvent into dotted columns
(`actor.alternateId`, `client.ipAddress`, `target[0].type` or `target{0}.type`, or one `target` column of
JSON); each row is rebuilt into the LogEvent it was and read as the JSON System Log is.
"""

from __future__ import annotations

import json
import re
from typing import Any

from caio_tui.domain.identity import AppRef, IdpAssignment, IdpExport, PersonKeyer, Vendor
from caio_tui.io.idp.accounts import account_name, shared_logins
from caio_tui.io.idp.fields import Record, RecordError, day, required, text
from caio_tui.io.idp.okta_log import OktaLogReader


class OktaAssignmentsReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._rows: list[tuple[AppRef, str, Record]] = []

    def add(self, record: Record) -> None:
        login = required(record, "login")
        name = text(record, "applicationinstance") or text(record, "applicationname") or text(record, "application")
        if name is None:
            raise RecordError("no Application instance or Application name")
        day(record, "assignedon")  # a date that is no date is a broken row, told now
        self._rows.append((AppRef(Vendor.OKTA, None, name), login, record))

    def finish(self, export: IdpExport) -> None:
        shared = shared_logins(
            (app, login, account) for app, login, row in self._rows if (account := text(row, "applicationlogin"))
        )
        for app, login, row in self._rows:
            account = text(row, "applicationlogin")
            export.assignments.append(
                IdpAssignment(
                    app,
                    self._key(login),
                    "user",
                    account=account_name(app, account, login, shared, self._key) if account else None,
                    assigned_on=day(row, "assignedon"),
                    unassigned_on=day(row, "unassignedon"),
                    last_login=day(row, "lastlogin"),
                )
            )


# The LogEvent fields the System Log reader uses, by their column's compared name (see `recognize.column`).
LOG_COLUMNS: dict[str, tuple[str, ...]] = {
    "uuid": ("uuid",),
    "published": ("published",),
    "eventtype": ("eventType",),
    "actorid": ("actor", "id"),
    "actortype": ("actor", "type"),
    "actoralternateid": ("actor", "alternateId"),
    "actordisplayname": ("actor", "displayName"),
    "clientid": ("client", "id"),
    "clientipaddress": ("client", "ipAddress"),
    "clientuseragentrawuseragent": ("client", "userAgent", "rawUserAgent"),
    "outcomeresult": ("outcome", "result"),
    "deviceid": ("device", "id"),
    "debugcontextdebugdatagranttype": ("debugContext", "debugData", "grantType"),
}
TARGET_COLUMN = re.compile(r"^targets?(\d*)(id|type|alternateid|displayname)$")
TARGET_FIELDS = {"id": "id", "type": "type", "alternateid": "alternateId", "displayname": "displayName"}


class OktaLogCsvReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._log = OktaLogReader(keyer, file_name)

    def add(self, record: Record) -> None:
        self._log.add(log_event(record))

    def finish(self, export: IdpExport) -> None:
        self._log.finish(export)


def log_event(row: Record) -> Record:
    """A CSV row rebuilt into the nested LogEvent the JSON reader reads."""
    event: Record = {}
    targets: dict[int, dict[str, Any]] = {}
    for name, cell in row.items():
        path = LOG_COLUMNS.get(name)
        if path is not None:
            _put(event, path, cell)
        elif name in ("target", "targets"):
            event["target"] = _json_targets(cell)
        elif found := TARGET_COLUMN.match(name):
            index = int(found.group(1) or 0)
            targets.setdefault(index, {})[TARGET_FIELDS[found.group(2)]] = cell
    if targets and "target" not in event:
        event["target"] = [targets[i] for i in sorted(targets)]
    return event


def _put(event: Record, path: tuple[str, ...], value: str) -> None:
    for step in path[:-1]:
        event = event.setdefault(step, {})
    event[path[-1]] = value


def _json_targets(cell: str) -> list[Any]:
    try:
        value = json.loads(cell)
    except (ValueError, RecursionError):
        raise RecordError("the target column is not JSON") from None
    return value if isinstance(value, list) else [value]
