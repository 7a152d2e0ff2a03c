"""Application logins: a person's own is keyed, an account several people share keeps its name.

An application login ("Application login" in Okta's Current Assignments report, `credentials.userName` in
the app users API) is the account a person uses inside the application. When it is the person's own login
(or its part before the @) it identifies the person and is keyed like any identifier. When several people
of one application use the same login, or it differs from the login of the person it is assigned to and is
not an address, it is an account of its own (`svc-grants`, `claims-team`): a shared account is exactly what
the finding must name. An address used by one person alone (`jdoe@agency.gov`) is keyed like the person's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from caio_tui.domain.identity import AppRef, PersonKeyer
from caio_tui.io.idp.keys import normalized


def own_login(account: str, login: str | None) -> bool | None:
    """True when the application login is the person's own login; None when the person's login is unknown."""
    if login is None:
        return None
    account, login = normalized(account), normalized(login)
    return account == login or account == login.split("@", 1)[0]


def shared_logins(pairs: Iterable[tuple[AppRef, str, str]]) -> set[tuple[AppRef, str]]:
    """(app, login) used by more than one person, from (app, person, login) triples."""
    people: Counter[tuple[AppRef, str]] = Counter()
    for app, _person, account in set(pairs):
        people[app, normalized(account)] += 1
    return {pair for pair, count in people.items() if count > 1}


def account_name(
    app: AppRef, account: str, login: str | None, shared: set[tuple[AppRef, str]], keyer: PersonKeyer
) -> str:
    own = own_login(account, login)
    if (app, normalized(account)) in shared:
        return account
    # A login of another form that reads as a person's address (jdoe@agency.gov beside jane.doe@agency.gov)
    # is still a person's identifier: only a name like svc-grants is an account's own.
    if own is False and "@" not in account:
        return account
    return keyer(login if own and login else account)
