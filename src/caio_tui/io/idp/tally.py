"""Sign-ins counted as they stream: one `SignInTally` per (application, account, account kind, interactive).

A System Log of a million events becomes a few thousand tallies; no event is kept. Devices and addresses
are counted through their hashes (a set of ints per tally), so memory grows with distinct accounts and
devices, not with events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from caio_tui.domain.identity import AccountKind, AppRef, SignInTally, Vendor

# (app id, app name, account, account kind, interactive): plain strings hash faster than an AppRef, and
# this runs once an event.
TallyKey = tuple[str | None, str, str, AccountKind, bool | None]


@dataclass(slots=True)
class _Count:
    first: date
    last: date
    events: int = 0
    failures: int = 0
    devices: set[int] = field(default_factory=set)
    addresses: set[int] = field(default_factory=set)
    names_user: bool = False
    credential_types: set[str] = field(default_factory=set)


class Tallies:
    def __init__(self, vendor: Vendor) -> None:
        self._vendor = vendor
        self._counts: dict[TallyKey, _Count] = {}

    def add(
        self,
        key: TallyKey,
        when: date,
        failed: bool,
        device: str | None,
        address: str | None,
        names_user: bool,
        credential_type: str | None = None,
    ) -> None:
        count = self._counts.get(key)
        if count is None:
            count = self._counts[key] = _Count(first=when, last=when, names_user=names_user)
        elif when < count.first:
            count.first = when
        elif when > count.last:
            count.last = when
        count.events += 1
        if failed:
            count.failures += 1
        if device:
            count.devices.add(hash(device))
        if address:
            count.addresses.add(hash(address))
        if credential_type:
            count.credential_types.add(credential_type)

    def tallies(self) -> list[SignInTally]:
        return [
            SignInTally(
                app=AppRef(self._vendor, app_id, name),
                account=account,
                account_kind=kind,
                interactive=interactive,
                events=count.events,
                failures=count.failures,
                devices=len(count.devices),
                addresses=len(count.addresses),
                first=count.first,
                last=count.last,
                names_user=count.names_user,
                credential_types=tuple(sorted(count.credential_types)),
            )
            for (app_id, name, account, kind, interactive), count in self._counts.items()
        ]
