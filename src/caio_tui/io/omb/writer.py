"""Write records as an OMB 2025 (M-25-21) inventory CSV: the only format written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from caio_tui.io.omb.answers import answer_words, hi_default_answer, hi_status, stage_2025
from caio_tui.io.omb.formulas import FormulaCells, guarded
from caio_tui.io.omb.records import ATO_GRANTED, COLUMNS_2025, HI_COLUMN_ITEMS, OmbRecord, agency_id


def write_inventory_2025(
    records: Iterable[OmbRecord],
    agency: str = "",
    agency_name: str = "",
    *,
    formulas: FormulaCells | None = None,
) -> bytes:
    """The records as an OMB 2025 inventory CSV: 36 columns in OMB's order, UTF-8 with BOM.

    Columns derived from record fields: id, use_case_name, contact_email, development_stage,
    is_high_impact, have_ato and the hi_* practices (an original answer kept in ``extra`` is written
    back while it still agrees with the field). Every other column, system_name_ato included, is
    written from ``extra`` verbatim. ``agency`` / ``agency_name``, when given (the portfolio's agency), are
    every row's, else a row's own; a row's bureau is ``extra["agency_bureau"]`` when present, else derived
    from ``office``.

    The file goes to a spreadsheet before it goes to OMB. A cell that starts like a formula is written as
    it is only when its text is exactly what the imported inventory gave (``record.given``): the agency's
    answers, "- " bullets included, reach OMB as given. Any other such cell (a name typed in the app, a
    field edited since the import, a value from a snapshot) gets a leading apostrophe. ``formulas``, when
    given, counts both.
    """
    found = formulas if formulas is not None else FormulaCells()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS_2025)
    for row, record in enumerate(records, start=2):  # the spreadsheet's row: the header is row 1
        writer.writerow(
            [
                guarded(cell_2025(record, column, agency, agency_name), record.given.get(column), row, column, found)
                for column in COLUMNS_2025
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def cell_2025(record: OmbRecord, column: str, agency: str, agency_name: str) -> str:
    extra = record.extra
    if column == "agency":  # the portfolio's agency, when known, is every row's: the inventory is its
        return agency or extra.get("agency", "")
    if column == "agency_name":
        return agency_name or extra.get("agency_name", "")
    if column == "id":
        return agency_id(record)
    if column == "use_case_name":
        return record.name
    if column == "agency_bureau":
        return extra["agency_bureau"] if "agency_bureau" in extra else _bureau_from_office(record, agency)
    if column == "contact_email":
        return record.owner
    if column == "development_stage":
        return stage_2025(record.stage) or extra.get("development_stage", "")
    if column == "is_high_impact":
        if record.high_impact:
            return "High-impact"
        raw = extra.get("is_high_impact", "")
        if "high_impact" in record.unknown:
            return raw  # blank (or an answer OMB does not allow) stays as it was: unknown, never "no"
        words = answer_words(raw)
        # Keep "Presumed High-Impact, but Not High-impact": it says more than "Not High-impact".
        return raw if raw and words.startswith("presumed high impact") else "Not High-impact"
    if column == "have_ato":
        return _have_ato(record)
    if column == "system_name_ato":
        return extra.get("system_name_ato", "")
    if column in HI_COLUMN_ITEMS:
        return _hi_answer(record, column)
    return extra.get(column, "")


def _bureau_from_office(record: OmbRecord, agency: str) -> str:
    own_agency = record.extra.get("agency", "") or agency
    office = record.office.strip()
    if own_agency and office.startswith(own_agency + " / "):
        return office[len(own_agency) + 3 :]
    if own_agency and office == own_agency:
        return ""
    return office


def _have_ato(record: OmbRecord) -> str:
    status = record.coverage.get(ATO_GRANTED)
    if status == "met":
        return "Yes"
    if status is not None and status != "not_assessed":
        return "No"
    # Not assessed: whatever the inventory said (an answer that is not Yes/No), else blank. A missing
    # answer on a Pilot/Deployed use case is for the lint to name, not for the export to invent.
    return record.extra.get("have_ato", "")


def _hi_answer(record: OmbRecord, column: str) -> str:
    item = HI_COLUMN_ITEMS[column]
    raw = record.extra.get(column, "")
    status = record.coverage.get(item)
    if status is None or status == "not_assessed":
        return raw  # not high-impact, or not assessed: whatever the inventory said, verbatim
    # The inventory's own answer when it still says what the coverage says ("Oversight Board
    # Review", or a reported "No" for a gap); never the evidence text, which may be a free note.
    if raw and (hi_status(column, raw) == status or (status == "gap" and hi_status(column, raw) is None)):
        return raw
    return hi_default_answer(column, status)
