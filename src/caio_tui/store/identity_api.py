"""The Portfolio's identity methods (issue 16), a mixin the facade inherits: each is a line over
store/identity.py (imports, links, proposals, rules) and store/identity_review.py (decisions). The modules
are imported at the first call, not at start-up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caio_tui.domain.identity import IdpExport
    from caio_tui.domain.identity_links import LinkSuggestion
    from caio_tui.domain.identity_rules import IdentityApp, IdentityImport, IdentityRules, PilotIdentity, Proposal
    from caio_tui.store.portfolio import Portfolio


class IdentityMethods:
    """Identity evidence from the IdP's exports; every write is one transaction with one audit event."""

    # A new identity key the files are being read with, until the import that uses it stores it.
    unsaved_identity_key: bytes | None = None

    def _me(self) -> Portfolio:
        return self  # type: ignore[return-value]

    def identity_secret(self) -> bytes:
        """The random per-portfolio key people's identifiers are hashed with (created on first use)."""
        from caio_tui.store import identity

        return identity.identity_secret(self._me())

    def kept_identities(self) -> bool | None:
        """Whether the identity imports kept people's identifiers (None: none yet); later ones must agree."""
        from caio_tui.store import identity

        return identity.kept_identities(self._me())

    def import_identity(self, exports: list[IdpExport], keep_identities: bool = False) -> IdentityImport:
        from caio_tui.store import identity

        return identity.import_identity(self._me(), exports, keep_identities=keep_identities)

    def identity_apps(self) -> list[IdentityApp]:
        from caio_tui.store import identity

        return identity.identity_apps(self._me())

    def link_app(self, pilot_id: str, vendor: str | None, app_id: str) -> None:
        """Link a pilot to an application (by its key, id or name; vendor None: any vendor's)."""
        from caio_tui.store import identity

        identity.link_app(self._me(), pilot_id, vendor, app_id)

    def unlink_app(self, pilot_id: str, vendor: str | None, app_id: str) -> None:
        from caio_tui.store import identity

        identity.unlink_app(self._me(), pilot_id, vendor, app_id)

    def app_links(self, pilot_id: str | None = None) -> list[tuple[str, str, str, str]]:
        """(pilot id, vendor, application key, application name) of each link."""
        from caio_tui.store import identity

        return identity.app_links(self._me(), pilot_id)

    def link_suggestions(self, owner_key: Callable[[str], str] | None = None) -> list[LinkSuggestion]:
        from caio_tui.store import identity

        return identity.link_suggestions(self._me(), owner_key)

    def proposals(
        self, state: str | None = "pending", pilot_id: str | None = None, rule: str | None = None
    ) -> list[Proposal]:
        """The review queue (state None: every proposal, decided ones too)."""
        from caio_tui.store import identity

        return identity.proposals(self._me(), state, pilot_id, rule)

    def accept_proposals(self, ids: Sequence[int]) -> list[Proposal]:
        from caio_tui.store import identity_review

        return identity_review.accept_proposals(self._me(), ids)

    def reject_proposals(self, ids: Sequence[int]) -> list[Proposal]:
        from caio_tui.store import identity_review

        return identity_review.reject_proposals(self._me(), ids)

    def accept_rule(self, rule: str) -> int:
        from caio_tui.store import identity_review

        return identity_review.accept_rule(self._me(), rule)

    def pilot_identity(self, pilot_id: str) -> PilotIdentity:
        from caio_tui.store import identity

        return identity.pilot_identity(self._me(), pilot_id)

    def identity_rules(self) -> IdentityRules:
        from caio_tui.store import identity

        return identity.identity_rules(self._me())

    def identity_rules_version(self) -> int:
        """The current identity rules' version (0: the defaults shipped with caio-tui)."""
        from caio_tui.store import identity

        return identity.identity_rules_version(self._me())

    def load_identity_rules(self, rules: IdentityRules, source: str) -> int | None:
        """A new version of the identity rules (its number; None when they equal the current ones)."""
        from caio_tui.store import identity

        return identity.load_identity_rules(self._me(), rules, source)
