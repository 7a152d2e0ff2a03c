"""The OMB 2025 data dictionary as the lint reads it: each column's type, when it is required, and for the
multiple-choice columns the valid selections, OMB's shorthand for them and the variants OMB recodes.

The data is package data (``data/dictionary_2025.json``) derived from OMB's published dictionary by
tests/unit/test_omb_dictionary.py, never typed by hand. Answers are compared as ``answer_words`` reads
them (case, dashes, spacing and the "a) " letter prefix do not matter), so "a) Yes", "Yes" and "yes" are
one answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Literal

from caio_tui.io.omb.answers import answer_words

DICTIONARY_FILE: Traversable = files("caio_tui.io.omb") / "data" / "dictionary_2025.json"

Reading = Literal["valid", "variant", "invalid"]


def answer_key(text: str) -> str:
    """An answer as compared: answer_words, with typographic apostrophes and a final full stop ignored."""
    return answer_words(text.replace("\u2019", "'").replace("\u2018", "'")).rstrip(". ")


@dataclass(frozen=True)
class ColumnRule:
    name: str
    type: str  # free_text, structured_text, multiple_choice, select_multiple, date
    required: str  # always, pre_deployment_pilot_deployed, pilot_deployed, high_impact_deployed, if_*, no
    required_text: str  # the dictionary's own sentence, quoted in findings
    selections: tuple[str, ...] = ()
    _answers: dict[str, tuple[Reading, str]] = field(default_factory=dict, repr=False)

    def read(self, answer: str) -> tuple[Reading, str]:
        """Whether one answer is a valid selection, a variant OMB recodes, or neither; with the selection's
        shorthand (the form the writer and OMB's consolidated file use) when it is one of the first two."""
        return self._answers.get(answer_key(answer), ("invalid", ""))


@dataclass(frozen=True)
class Dictionary:
    source: str
    columns: dict[str, ColumnRule]


def _rule(name: str, spec: dict[str, object]) -> ColumnRule:
    selections = tuple(str(s) for s in spec.get("selections", []))  # type: ignore[attr-defined]
    shorthand: dict[str, str] = dict(spec.get("shorthand", {}))  # type: ignore[call-overload]
    variants: dict[str, str] = dict(spec.get("variants", {}))  # type: ignore[call-overload]
    short = {answer_key(k): v for k, v in shorthand.items()}

    def short_of(selection: str) -> str:
        # "a) Yes" -> "Yes" when the dictionary gives no shorthand of its own.
        return short.get(answer_key(selection)) or selection.split(") ", 1)[-1].strip()

    answers: dict[str, tuple[Reading, str]] = {}
    for variant, selection in variants.items():
        answers[answer_key(variant)] = ("variant", short_of(selection))
    for selection in selections:
        for form in (selection, short_of(selection)):
            answers[answer_key(form)] = ("valid", short_of(selection))
    for selection, form in shorthand.items():
        answers[answer_key(form)] = ("valid", short_of(selection))
        answers[answer_key(selection)] = ("valid", short_of(selection))
    return ColumnRule(
        name=name,
        type=str(spec["type"]),
        required=str(spec["required"]),
        required_text=str(spec["required_text"]),
        selections=selections,
        _answers=answers,
    )


@cache
def load_dictionary() -> Dictionary:
    data = json.loads(DICTIONARY_FILE.read_text(encoding="utf-8"))
    return Dictionary(
        source=str(data["source"]),
        columns={name: _rule(name, spec) for name, spec in data["columns"].items()},
    )
