"""Entra ID's sign-in logs, from all three places agencies keep them:

- Graph JSON (`/auditLogs/signIns`, v1.0 or beta; `signInEventTypes`, `clientCredentialType` and the
  service principal fields are beta's);
- Azure Monitor diagnostic settings exports (storage account or Event Hub): records with `time`,
  `category` (SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs,
  ManagedIdentitySignInLogs) and the sign-in in `properties`;
- Log Analytics (the same sign-ins kept in a workspace: a query's result as CSV or JSON, `TimeGenerated`,
  `Category`, `UserPrincipalName`, `ResultType`);
- the portal's CSV download ("Date (UTC)", "Username", "Application", "Application ID", "IP address",
  "Status", "Service principal ID", ...), one file per tab; the tab (interactive, non-interactive,
  application, managed identity) shows only in the file's name, which is read as a hint when the rows
  do not say.
Each becomes a tally per application and account: a person's (keyed by user principal name), a service
principal's or a managed identity's (their names kept).
"""

from __future__ import annotations

from datetime import date

from caio_tui.domain.identity import AccountKind, IdpExport, PersonKeyer, Vendor
from caio_tui.io.idp.fields import Days, Record, RecordError, flag, get, text
from caio_tui.io.idp.kind import Span
from caio_tui.io.idp.recognize import SIGN_IN_CATEGORIES, column, is_azure_monitor
from caio_tui.io.idp.tally import Tallies

# Azure Monitor's categories and Graph's signInEventTypes, as (account kind, interactive).
CATEGORIES: dict[str, tuple[AccountKind, bool | None]] = {
    "SignInLogs": ("user", True),
    "NonInteractiveUserSignInLogs": ("user", False),
    "ServicePrincipalSignInLogs": ("service_principal", False),
    "ManagedIdentitySignInLogs": ("managed_identity", False),
}
EVENT_TYPES: dict[str, tuple[AccountKind, bool | None]] = {
    "interactiveuser": ("user", True),
    "noninteractiveuser": ("user", False),
    "serviceprincipal": ("service_principal", False),
    "managedidentity": ("managed_identity", False),
}
# The portal's download names its file after the tab: InteractiveSignIns_..., NonInteractiveSignIns_...
FILE_HINTS: tuple[tuple[str, tuple[AccountKind, bool | None]], ...] = (
    ("noninteractive", ("user", False)),
    ("interactive", ("user", True)),
    ("applicationsignins", ("service_principal", False)),
    ("serviceprincipal", ("service_principal", False)),
    ("msisignins", ("managed_identity", False)),
    ("managedidentity", ("managed_identity", False)),
)
FAILURE_WORDS = frozenset({"failure", "failed", "interrupted"})
# Log Analytics' tables (a KQL query's CSV export) carry the diagnostic category in a Category column.
CSV_DATES = ("dateutc", "createddatetime", "date", "datetime", "timegeneratedutc", "timegenerated", "time")
CSV_ERRORS = ("signinerrorcode", "errorcode", "statuserrorcode", "resulttype")


class EntraSignInsReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._days = Days()
        self._span = Span()
        self._tallies = Tallies(Vendor.ENTRA)
        lowered = file_name.casefold().replace("-", "").replace("_", "")
        self._hint = next((kind for word, kind in FILE_HINTS if word in lowered), None)

    def add(self, record: Record) -> None:
        if is_azure_monitor(record):
            self._monitor(record)
        elif "TimeGenerated" in record:  # Log Analytics' columns, as its CSV export has them
            self._csv({column(k): v for k, v in record.items() if not isinstance(v, (dict, list))})
        else:
            self._graph(record, None, None)

    def _monitor(self, record: Record) -> None:
        category = text(record, "category") or ""
        if category not in SIGN_IN_CATEGORIES:
            raise RecordError(f"an Azure Monitor record of category {category}, not a sign-in")
        properties = get(record, "properties")
        self._graph(properties, CATEGORIES[category], record)

    def _graph(self, sign_in: Record, category: tuple[AccountKind, bool | None] | None, outer: Record | None) -> None:
        when = text(sign_in, "createdDateTime") or text(outer, "time")
        if when is None:
            raise RecordError("no createdDateTime")
        kind, interactive = category or self._graph_kind(sign_in)
        error = get(sign_in, "status", "errorCode")
        if error is None and outer is not None:
            error = outer.get("resultType")
        self._count(
            when,
            kind,
            interactive,
            app_id=text(sign_in, "appId"),
            app_name=text(sign_in, "appDisplayName"),
            person=text(sign_in, "userPrincipalName") or text(sign_in, "userId"),
            principal=text(sign_in, "servicePrincipalName") or text(sign_in, "servicePrincipalId"),
            failed=error is not None and str(error).strip() not in ("0", ""),
            device=text(sign_in, "deviceDetail", "deviceId") or text(sign_in, "userAgent"),
            address=text(sign_in, "ipAddress") or text(outer, "callerIpAddress"),
            credential=text(sign_in, "clientCredentialType"),
        )

    def _graph_kind(self, sign_in: Record) -> tuple[AccountKind, bool | None]:
        types = get(sign_in, "signInEventTypes")
        if isinstance(types, list):
            found = [EVENT_TYPES[t.casefold()] for t in types if isinstance(t, str) and t.casefold() in EVENT_TYPES]
            if found:
                return found[0]
        interactive = flag(sign_in, "isInteractive")
        if text(sign_in, "userPrincipalName") is None and text(sign_in, "servicePrincipalId"):
            return "service_principal", False
        if interactive is not None:
            return "user", interactive
        return self._hint or ("user", None)

    def _csv(self, row: Record) -> None:
        when = next((found for name in CSV_DATES if (found := text(row, name))), None)
        if when is None:
            raise RecordError("no Date (UTC)")
        category = CATEGORIES.get(text(row, "category") or "")
        kind, interactive = category or self._csv_kind(row)
        error = next((found for name in CSV_ERRORS if (found := text(row, name))), None)
        # An error code says it; else the Status word (PowerShell's Export-Csv writes an object's type name
        # there, which says nothing: not a failure).
        failed = error != "0" if error is not None else (text(row, "status") or "").casefold() in FAILURE_WORDS
        self._count(
            when,
            kind,
            interactive,
            app_id=text(row, "applicationid") or text(row, "appid"),
            app_name=text(row, "application") or text(row, "appdisplayname"),
            person=text(row, "username") or text(row, "userprincipalname") or text(row, "userid"),
            principal=text(row, "serviceprincipalname")
            or text(row, "serviceprincipalid")
            or text(row, "managedidentityname")
            or text(row, "managedidentityid"),
            failed=failed,
            device=text(row, "deviceid") or text(row, "useragent"),
            address=text(row, "ipaddress") or text(row, "callerip"),
            credential=text(row, "clientcredentialtype"),
        )

    def _csv_kind(self, row: Record) -> tuple[AccountKind, bool | None]:
        interactive = flag(row, "isinteractive")
        if text(row, "username") or text(row, "userprincipalname"):
            if interactive is not None:
                return "user", interactive
            hint = self._hint
            return hint if hint is not None and hint[0] == "user" else ("user", None)
        if text(row, "managedidentityid") or text(row, "managedidentityname") or text(row, "managedidentitytype"):
            return "managed_identity", False
        if text(row, "serviceprincipalid") or text(row, "serviceprincipalname"):
            if self._hint is not None and self._hint[0] == "managed_identity":
                return self._hint
            return "service_principal", False
        return self._hint or ("user", None)

    def _count(
        self,
        when_text: str,
        kind: AccountKind,
        interactive: bool | None,
        *,
        app_id: str | None,
        app_name: str | None,
        person: str | None,
        principal: str | None,
        failed: bool,
        device: str | None,
        address: str | None,
        credential: str | None,
    ) -> None:
        when: date = self._days(when_text)
        self._span.see(when)
        if app_id is None and app_name is None:
            raise RecordError("no appId or appDisplayName")
        name = app_name or app_id or ""
        if kind == "user":
            if person is None:
                raise RecordError("a user sign-in with no userPrincipalName or userId")
            account, names_user = self._key(person), True
        else:
            account, names_user = principal or name, False
        self._tallies.add(
            (app_id, name, account, kind, interactive), when, failed, device, address, names_user, credential
        )

    def finish(self, export: IdpExport) -> None:
        export.sign_ins.extend(self._tallies.tallies())
        self._span.into(export)


class EntraSignInsCsvReader(EntraSignInsReader):
    """The portal's download: rows keyed by their column's compared name."""

    def add(self, record: Record) -> None:
        self._csv(record)
