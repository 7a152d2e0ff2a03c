"""The snapshot's digest: the canonical JSON it covers and the signer that hashes it piece by piece (so an
export or an import of any size signs or checks it without holding the whole document)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# The audit head is a note of where the trail stood (for `caio-tui verify --head`), not content: two
# snapshots of the same pilots, rules and tags have one digest whatever history led to them.
UNSIGNED_KEYS = frozenset({"taken_at", "taken_by", "audit", "digest"})


def canonical(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the form the digest covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


class Signer:
    """The digest of the signed content, fed piece by piece: the canonical JSON is the keys in sorted
    order, so the parts before "pilots" are hashed first, then each pilot as it is written, then the rest.
    Joined, the pieces are exactly canonical(content) for content = every key but the unsigned ones."""

    def __init__(self, header: Mapping[str, Any]) -> None:
        keys = sorted({*(k for k in header if k not in UNSIGNED_KEYS), "pilots"})
        cut = keys.index("pilots")
        self.hash = hashlib.sha256()
        before = [f"{canonical(k)}:{canonical(header[k])}" for k in keys[:cut]]
        self.hash.update(encode("{" + "".join(f"{part}," for part in before) + '"pilots":['))
        after = [f"{canonical(k)}:{canonical(header[k])}" for k in keys[cut + 1 :]]
        self.tail = "]" + "".join(f",{part}" for part in after) + "}"
        self.count = 0

    def pilot(self, line: str) -> None:
        self.pilot_bytes(encode(line))

    def pilot_bytes(self, line: bytes) -> None:
        if self.count:
            self.hash.update(b",")
        self.hash.update(line)
        self.count += 1

    def digest(self) -> str:
        self.hash.update(encode(self.tail))
        return "sha256:" + self.hash.hexdigest()


def digest_of(data: Mapping[str, Any]) -> str:
    """sha256:HEX of the canonical JSON of everything but taken_at, taken_by and digest."""
    signer = Signer({k: v for k, v in data.items() if k != "pilots"})
    for pilot in data.get("pilots") or ():
        signer.pilot(canonical(pilot))
    return signer.digest()
