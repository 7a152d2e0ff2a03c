"""The person keyer the readers key people with (it lives in domain/identity_keys.py: the store keys a
pilot's owner with it too)."""

from caio_tui.domain.identity_keys import KEY_DIGITS, KEY_PREFIX, normalized, person_keyer

__all__ = ["KEY_DIGITS", "KEY_PREFIX", "normalized", "person_keyer"]
