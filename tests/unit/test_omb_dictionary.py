"""The 2025 data dictionary the lint checks against is package data derived from OMB's published
dictionary (io/omb/data/dictionary_2025.json), never typed by hand: this test derives it again from the
reference copy and compares. CAIO_UPDATE_GOLDEN=1 writes it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from caio_tui.io.omb.dictionary import DICTIONARY_FILE, load_dictionary

REFERENCE = Path("/work/shared/reference/omb-inventory/2025_data_dictionary.json")

# The dictionary's "Required:" sentences, as the rule each one states.
_REQUIRED_RULES = (
    ("Required: No", "no"),
    ("Required: Yes, for pre-deployment, pilot and deployed", "pre_deployment_pilot_deployed"),
    ("Required: Yes, for pilot and deployed", "pilot_deployed"),
    ("Required: Yes, only for high-impact deployed", "high_impact_deployed"),
    ('Required: Yes, but question should only appear if "Presumed', "if_presumed_not_high_impact"),
    ('Required: Yes, but question should only appear if "Purchased', "if_vendor"),
    ('Required: Yes, but question should only appear if "Yes"', "if_ato"),
    ("Required: Yes", "always"),
)


def derive(source: dict[str, Any]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for name, spec in sorted(source.items(), key=lambda kv: kv[1]["column_order_in_original_excel"]):
        text = spec["instructions"]
        sentence = text[text.index("Required:") :].strip()
        rule = next(r for prefix, r in _REQUIRED_RULES if sentence.startswith(prefix))
        entry: dict[str, Any] = {"type": spec["data_type"], "required": rule, "required_text": sentence}
        if "valid_selections" in spec:
            entry["selections"] = spec["valid_selections"]
            entry["shorthand"] = spec.get("short_hand_recodings") or {}
            entry["variants"] = {
                variant: valid for valid, variants in (spec.get("recoding_map") or {}).items() for variant in variants
            }
        columns[name] = entry
    return {"source": "OMB 2025 AI use case inventory data dictionary (2025_data_dictionary.json)", "columns": columns}


def test_the_shipped_dictionary_is_derived_from_omb_s() -> None:
    if not REFERENCE.exists():
        pytest.skip("the reference dictionary is not on this machine")
    derived = json.dumps(derive(json.loads(REFERENCE.read_text(encoding="utf-8"))), indent=1, ensure_ascii=False)
    shipped = Path(str(DICTIONARY_FILE))
    if os.environ.get("CAIO_UPDATE_GOLDEN"):
        shipped.write_text(derived + "\n", encoding="utf-8")
    assert shipped.read_text(encoding="utf-8") == derived + "\n"


def test_every_multiple_choice_column_has_its_selections() -> None:
    dictionary = load_dictionary()
    assert dictionary.columns["have_ato"].selections == ("No", "Yes")
    assert dictionary.columns["is_high_impact"].required == "always"
    assert dictionary.columns["operational_date"].required == "pilot_deployed"
    assert dictionary.columns["hi_appeal_process"].required == "high_impact_deployed"
    chosen = [c for c in dictionary.columns.values() if c.type in ("multiple_choice", "select_multiple")]
    assert len(chosen) == 18 and all(c.selections for c in chosen)
