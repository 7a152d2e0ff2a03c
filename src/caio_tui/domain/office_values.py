"""The values a conflict holds, as a person reads and types them (pure).

A conflict's three values (domain/office_merge.py) are a pilot field's value, a coverage triple (status,
evidence, justification) or a blocker's note (None: not open). `describe` writes one as a line; `parse_edit`
reads what a person typed to settle a conflict, checked against the field's type: a status must be a
status, high_impact yes or no, a name not blank. Stored as JSON (`to_json`, `from_json`): a triple is a list.
"""

from __future__ import annotations

import json
from typing import Any

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.office_merge import NOT_ASSESSED, PILOT_FIELDS, FieldKind, Value

_YES = ("yes", "y", "true")
_NO = ("no", "n", "false")


def office_named(name: str) -> str:
    """An office as a sentence names it: "the Office of Human Capital", "the Grants Management Office",
    "office Benefits" (a name that does not say it is an office), never "office Office of ..."."""
    return f"the {name}" if "office" in name.lower().split() else f"office {name}"


def to_json(value: Value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def from_json(kind: FieldKind, text: str) -> Value:
    value: Any = json.loads(text)
    if kind == "coverage":
        status, evidence, justification = value if isinstance(value, list) else NOT_ASSESSED
        return (str(status), str(evidence), str(justification))
    return value


def describe(kind: FieldKind, value: Value) -> str:
    """One line: 'met: evidence', 'open: note', 'not open', 'yes', '(blank)'."""
    if kind == "coverage":
        status, evidence, justification = value if isinstance(value, tuple) else NOT_ASSESSED
        note = justification if CoverageStatus(status).needs_justification else evidence
        return f"{status}: {note}" if note else str(status)
    if kind == "blocker":
        return "not open" if value is None else (f"open: {value}" if value else "open")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "(blank)" if value in (None, "") else str(value)


def stage_title(code: str) -> str:
    """A stage's title ("Proof of concept") for a code the store holds; the code itself if unknown."""
    from caio_tui.domain.stages import Stage

    try:
        return Stage(code).label
    except ValueError:
        return code


def waiting_words(conflicts: int, requests: int, offices: list[str]) -> str:
    """What waits for one pilot, as a line ("" when nothing): '2 conflicts and a stage request from the
    Office of X wait'."""
    parts = []
    if conflicts:
        parts.append("a conflict" if conflicts == 1 else f"{conflicts} conflicts")
    if requests:
        parts.append("a stage request" if requests == 1 else f"{requests} stage requests")
    if not parts:
        return ""
    verb = "waits" if conflicts + requests == 1 else "wait"
    source = " from " + ", ".join(map(office_named, offices)) if offices else ""
    return f"{' and '.join(parts)}{source} {verb}"


def edit_text(kind: FieldKind, value: Value) -> str:
    """What an edit dialog starts from: the value as `parse_edit` reads it back."""
    if kind == "blocker":
        return "" if value is None else str(value)
    if kind == "field" and value is None:
        return ""
    return describe(kind, value) if kind == "coverage" or isinstance(value, bool) else str(value)


def parse_edit(kind: FieldKind, name: str, text: str, *, met_needs_evidence: bool = True) -> Value:
    """A person's value for this field; ValueError in one line when it is not one.

    A coverage item is 'STATUS' or 'STATUS: NOTE' (the note is the justification of a waiver or a
    not-applicable, the evidence otherwise; without one, the item keeps the evidence and justification it
    has: None), except a `met` where the framework asks evidence: it needs its own, as `set-coverage` does
    (kept evidence would be the CAIO's, credited to another value). A blocker's value is the note it stays
    open with."""
    text = text.strip()
    if kind == "coverage":
        word, _, note = text.partition(":")
        try:
            status = CoverageStatus(word.strip().lower())
        except ValueError:
            raise ValueError(
                f"{name}: {word.strip()!r} is not a coverage status ({', '.join(s.value for s in CoverageStatus)})"
            ) from None
        note = note.strip()
        if status is CoverageStatus.MET and met_needs_evidence and not note:
            raise ValueError(f"{name}: met needs evidence: type 'met: EVIDENCE' (a note or a reference)")
        if not note:
            return (status.value, None, None)
        return (status.value, None, note) if status.needs_justification else (status.value, note, None)
    if kind == "blocker":
        return text
    if name not in PILOT_FIELDS:
        raise ValueError(f"{name} is not a field a conflict can hold")
    if name == "high_impact":
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise ValueError(f"high_impact: {text!r} is not yes or no")
    if name == "name" and not text:
        raise ValueError("name: a pilot needs a name")
    return text
