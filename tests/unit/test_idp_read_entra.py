"""Entra ID's exports read from hand-built fixtures (tests/data/idp/README.md names the doc each follows)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from caio_tui.domain.identity import ExportKind, IdpExport, SignInTally
from caio_tui.io.idp.keys import person_keyer
from caio_tui.io.idp.read import read_export

DATA = Path(__file__).parents[1] / "data" / "idp"
KEEP = person_keyer(b"secret", keep=True)


def read(name: str) -> IdpExport:
    return read_export(DATA / name, KEEP)


def tallies(export: IdpExport) -> dict[tuple[str, str, bool | None], SignInTally]:
    return {(t.account, t.account_kind, t.interactive): t for t in export.sign_ins}


def test_service_principals_from_graph_pages_concatenated() -> None:
    export = read("entra-service-principals.json")
    assert export.kind is ExportKind.ENTRA_SERVICE_PRINCIPALS and export.records == 4
    apps = {a.ref.name: a for a in export.apps}
    chat = apps["Benefits Chat Assistant"]
    assert chat.ref.app_id == "a1a1a1a1-0000-4000-8000-000000000001"
    assert (chat.own_identity, chat.strongest_credential, chat.assignment_required) == ("application", "secret", False)
    assert chat.owners == ("lead@agency.gov",)
    classifier = apps["Records Classifier"]
    assert (classifier.strongest_credential, classifier.owners) == ("key", ("Platform Automation",))
    assert apps["forecast-func-mi"].strongest_credential == "managed"
    assert apps["forecast-func-mi"].assignment_required is None  # absent: unknown, not "no"
    secret = next(c for c in export.credentials if c.kind == "secret")
    assert (secret.created, secret.expires, secret.name) == (date(2025, 11, 1), date(2026, 11, 1), "pilot secret")
    assert [p.where for p in export.problems] == ["record 4"]


def test_the_bare_array_az_ad_sp_list_prints() -> None:
    (app,) = read("entra-service-principals-az.json").apps
    assert app.strongest_credential is None and app.own_identity == "application"


def test_app_role_assignments_name_people_by_object_id_and_groups_by_name() -> None:
    export = read("entra-app-role-assignments.json")
    kinds = {(a.principal_type, a.principal, a.via_group) for a in export.assignments}
    assert kinds == {
        ("user", "u0000000-0000-4000-8000-000000000002", False),
        ("group", "Records Analysts", True),
        ("service_principal", "forecast-func-mi", None),
    }
    assert [p.message for p in export.problems] == ["principalType 'Device' is not User, Group or ServicePrincipal"]


def test_users_tie_object_ids_to_principal_names() -> None:
    people = {p.person: p for p in read("entra-users.json").people}
    quinn = people["quinn@agency.gov"]
    assert (quinn.active, quinn.last_sign_in, quinn.aliases) == (
        False,
        date(2026, 3, 1),
        ("u0000000-0000-4000-8000-000000000002",),
    )
    assert people["lead@agency.gov"].last_sign_in == date(2026, 10, 5)  # the latest of its sign-in dates
    assert people["ray@agency.gov"].last_sign_in is None  # no signInActivity (no premium licence)


def test_graph_sign_ins_tell_interactive_non_interactive_and_service_sign_ins() -> None:
    export = read("entra-sign-ins.json")
    found = tallies(export)
    assert found["lead@agency.gov", "user", False].names_user  # a service running on a person's sign-in
    classifier = found["Records Classifier", "service_principal", False]
    assert (classifier.credential_types, classifier.names_user) == (("certificate",), False)
    assert found["forecast-func-mi", "managed_identity", False].events == 1
    assert found["ray@agency.gov", "user", True].failures == 1
    assert (export.first_event, export.last_event) == (date(2026, 10, 1), date(2026, 10, 7))
    assert [(p.where, p.message) for p in export.problems] == [("record 6", "no createdDateTime")]


def test_azure_monitor_exports_one_record_a_line_and_event_hub_batches() -> None:
    export = read("azure-monitor-PT1H.json")
    assert export.kind is ExportKind.ENTRA_SIGN_INS
    found = tallies(export)
    assert set(found) == {
        ("lead@agency.gov", "user", True),
        ("lead@agency.gov", "user", False),
        ("Records Classifier", "service_principal", False),
        ("forecast-func-mi", "managed_identity", False),
    }
    assert found["Records Classifier", "service_principal", False].credential_types == ("clientSecret",)
    assert [p.message for p in export.problems] == ["an Azure Monitor record of category AuditLogs, not a sign-in"]
    batch = tallies(read("azure-monitor-event-hub.json"))
    assert batch["ray@agency.gov", "user", True].failures == 1  # resultType when properties has no status


def test_the_portal_csv_downloads_take_the_tab_from_the_file_name() -> None:
    export = read("NonInteractiveSignIns_2026-10-01_2026-10-08.csv")
    assert export.kind is ExportKind.ENTRA_SIGN_INS
    lead = tallies(export)["lead@agency.gov", "user", False]
    assert (lead.events, lead.failures, lead.devices, lead.addresses) == (2, 1, 2, 2)
    assert lead.app.app_id == "a1a1a1a1-0000-4000-8000-000000000001"  # "Application ID " with its space
    assert [p.where for p in export.problems] == ["row 4"]
    (service,) = read("ApplicationSignIns_2026-10-01_2026-10-08.csv").sign_ins
    assert (service.account_kind, service.account, service.names_user) == (
        "service_principal",
        "Benefits Chat Assistant",
        False,
    )


def test_a_log_analytics_query_exported_as_csv(tmp_path: Path) -> None:
    """Sign-ins kept in a Log Analytics workspace past the portal's retention, a KQL result saved as CSV."""
    kept = tmp_path / "query_data.csv"
    kept.write_text(
        "TimeGenerated [UTC],Category,UserPrincipalName,AppId,AppDisplayName,IPAddress,ResultType,Status\n"
        "2026-08-01T10:00:00Z,NonInteractiveUserSignInLogs,lead@agency.gov,a1,Benefits Chat Assistant,"
        '10.0.0.1,0,"{""errorCode"":0}"\n'
        "2026-08-02T10:00:00Z,NonInteractiveUserSignInLogs,lead@agency.gov,a1,Benefits Chat Assistant,"
        "10.0.0.2,50173,\n",
        encoding="utf-8",
    )
    export = read_export(kept, KEEP)
    (lead,) = export.sign_ins
    assert (lead.interactive, lead.events, lead.failures, lead.addresses) == (False, 2, 1, 2)


def test_a_powershell_export_csv_status_is_not_a_failure(tmp_path: Path) -> None:
    exported = tmp_path / "signins.csv"
    exported.write_text(
        "CreatedDateTime,UserPrincipalName,AppId,AppDisplayName,IPAddress,IsInteractive,Status\n"
        "10/01/2026 09:00:00,lead@agency.gov,a1,Benefits Chat Assistant,10.0.0.1,True,"
        "Microsoft.Graph.PowerShell.Models.MicrosoftGraphSignInStatus\n",
        encoding="utf-8",
    )
    (lead,) = read_export(exported, KEEP).sign_ins
    assert (lead.interactive, lead.failures, lead.first) == (True, 0, date(2026, 10, 1))


def test_a_log_analytics_query_exported_as_json(tmp_path: Path) -> None:
    kept = tmp_path / "query_data.json"
    kept.write_text(
        '[{"TimeGenerated": "2026-08-03T10:00:00Z", "Category": "ServicePrincipalSignInLogs", "AppId": "a2",'
        ' "AppDisplayName": "Records Classifier", "ServicePrincipalName": "Records Classifier",'
        ' "ClientCredentialType": "clientSecret", "ResultType": "0", "IPAddress": "10.0.0.9",'
        ' "DeviceDetail": {"deviceId": ""}}]',
        encoding="utf-8",
    )
    export = read_export(kept, KEEP)
    assert export.kind is ExportKind.ENTRA_SIGN_INS
    (service,) = export.sign_ins
    assert (service.account, service.account_kind, service.credential_types) == (
        "Records Classifier",
        "service_principal",
        ("clientSecret",),
    )
