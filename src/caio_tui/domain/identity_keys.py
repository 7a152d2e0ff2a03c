"""The person keyer: a person's identifier (login, e-mail, user principal name, object id) becomes a keyed hash.

The key is an HMAC-SHA256 under the portfolio's own secret, so the same person gets the same key in every
file of one portfolio (the rules can count and compare people) while the key says nothing about who it is
to anyone without the secret. With `--keep-identities` the identifier itself is kept. Pure (no I/O): the
readers key the files' people with it, and the store keys a pilot's owner as typed the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from caio_tui.domain.identity import PersonKey, PersonKeyer

KEY_PREFIX = "p:"
KEY_DIGITS = 16


def normalized(identifier: str) -> str:
    """Logins, e-mails and principal names are case-insensitive at both IdPs: one person, one key."""
    return identifier.strip().casefold()


def person_keyer(secret: bytes, keep: bool) -> PersonKeyer:
    """A keyer for one import. Cached: a System Log names the same few thousand people a million times."""
    if keep:
        return normalized

    @lru_cache(maxsize=1 << 16)
    def key(identifier: str) -> PersonKey:
        digest = hmac.new(secret, normalized(identifier).encode("utf-8"), hashlib.sha256).hexdigest()
        return KEY_PREFIX + digest[:KEY_DIGITS]

    return key
