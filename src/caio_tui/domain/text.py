"""Text as shown: user text made safe (control characters and escape sequences never reach a terminal
raw), clipped, and the readiness bar."""

from __future__ import annotations

import unicodedata


def printable(text: str, *, single_line: bool = True) -> str:
    """Text with every control character shown as an escape (ESC as '\\x1b'); newlines become '⏎'
    on a single line. Right-to-left and combining characters are kept: they are text, not controls."""
    if text.isprintable():  # the common case, on every cell of every page: nothing to escape
        return text
    out = []
    for char in text:
        if char == "\n" and not single_line:
            out.append(char)
        elif char == "\n" or char == "\r":
            out.append("⏎" if char == "\n" else "")
        elif char == "\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_OVERRIDES:
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


# Explicit direction overrides can reorder what follows them on screen ("Trojan Source"): shown escaped.
_BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def readiness_bar(score: float, width: int = 10) -> str:
    """A small bar of eighth blocks, e.g. '██████▌   ' for 0.65."""
    eighths = round(max(0.0, min(1.0, score)) * width * 8)
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest] if rest else ""
    return ("█" * full + partial).ljust(width)


def counted(count: int, one: str, many: str | None = None) -> str:
    """`1 record`, `2 records`, `3 people` (`many` where the plural is not `one` + s)."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
