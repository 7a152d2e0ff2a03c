"""Read an OMB inventory CSV of any known year into ``OmbRecord``s and ``ImportIssue``s.

Reading never raises for a row problem: an unknown or malformed value becomes an ``ImportIssue`` and the
raw value is kept (in ``OmbRecord.extra`` or ``OmbRecord.evidence``). ``OmbFormatError`` is raised only
when the file as a whole cannot be read: undecodable, no header, or not a known inventory format.

``OmbRecord.extra`` holds every column whose information is not carried by another record field, keyed
as ``formats.py`` keys it. Blank cells are not stored. A consumed column whose raw value could not be
represented exactly (a stray stage, ``Presumed High-Impact, but Not High-impact``, an ``N/A`` ATO answer)
keeps its raw value in ``extra`` as well.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping

from caio_tui.io.omb.answers import (
    HI_2024_TRUE,
    HI_CANONICAL,
    HI_FALSE,
    HI_TRUE,
    NA,
    NO,
    STAGE_2023_CANONICAL,
    STAGE_2024,
    STAGE_2024_STRAY,
    STAGE_2025,
    YES,
    answer_words,
    clean_answer,
    hi_default_answer,
    hi_status,
    stage_2023,
    stage_long_form_head,
)
from caio_tui.io.omb.formats import column_keys, detect_format
from caio_tui.io.omb.formulas import given_cells
from caio_tui.io.omb.records import (
    ATO_BOUNDARY,
    ATO_GRANTED,
    ATO_ITEMS,
    ATO_PACKAGE,
    GENERATED_ID_PREFIX,
    HI_COLUMN_ITEMS,
    ImportIssue,
    OmbFormat,
    OmbFormatError,
    OmbReadResult,
    OmbRecord,
    SourceLayout,
)


def _decode(data: bytes, source_name: str) -> tuple[str, str]:
    """The file's text and the encoding it was written in ("utf-8-sig", "utf-8" or "cp1252")."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise OmbFormatError(f"{source_name}: empty file (no header row)")
    if b"\x00" in data:
        raise OmbFormatError(f"{source_name}: binary data, not a CSV text file")
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise OmbFormatError(f"{source_name}: cannot decode as UTF-8 or Windows-1252 (byte {exc.start})") from exc


def _newline(text: str) -> str:
    """The line ending of the header row: the one the file uses (an export gives it back)."""
    at = text.find("\n")
    if at > 0 and text[at - 1] == "\r":
        return "\r\n"
    if at >= 0:
        return "\n"
    return "\r" if "\r" in text else "\r\n"


def _generated_id(agency: str, name: str, bureau: str, occurrence: int) -> str:
    key = "\x1f".join((_key_part(agency), _key_part(name), _key_part(bureau), str(occurrence)))
    return GENERATED_ID_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def _key_part(text: str) -> str:
    return " ".join(text.split()).casefold()


def _blank(value: str) -> bool:
    return not value.strip()  # str.strip() also removes NBSP, seen alone in real cells


def _join_office(*parts: str) -> str:
    return " / ".join(p.strip() for p in parts if p.strip())


class _Row:
    """One data row being turned into a record: its cells by key, and the issues it raised."""

    def __init__(self, number: int, cells: dict[str, str], headers: Mapping[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.headers = headers
        self.consumed: set[str] = set()
        self.issues: list[ImportIssue] = []
        self.coverage: dict[str, str] = {}
        self.evidence: dict[str, str] = {}
        self.keep: dict[str, str] = {}  # consumed columns whose raw value must stay in extra
        self.unknown_high_impact = False  # the high-impact answer was blank or not one OMB allows

    def get(self, key: str) -> str:
        return self.cells.get(key, "")

    def take(self, key: str) -> str:
        self.consumed.add(key)
        return self.cells.get(key, "").strip()

    def issue(self, key: str, value: str, reason: str) -> None:
        self.issues.append(ImportIssue(self.number, self.headers.get(key, key), value, reason))

    def keep_raw(self, key: str) -> None:
        if key in self.cells and not _blank(self.cells[key]):
            self.keep[key] = self.cells[key]

    def extra(self) -> dict[str, str]:
        out = {k: v for k, v in self.cells.items() if k not in self.consumed and not _blank(v)}
        out.update(self.keep)
        return out


def read_inventory(data: bytes, *, source_name: str, fmt: OmbFormat | None = None) -> OmbReadResult:
    """Read an OMB inventory CSV (any known year). Row problems become issues, never exceptions."""
    text, encoding = _decode(data, source_name)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise OmbFormatError(f"{source_name}: not a readable CSV file ({exc})") from exc
    header_index = next((i for i, r in enumerate(rows) if any(not _blank(c) for c in r)), None)
    if header_index is None:
        raise OmbFormatError(f"{source_name}: empty file (no header row)")
    header = rows[header_index]
    detected = detect_format(header)
    if fmt is None:
        if detected is None:
            shown = ", ".join(h.strip() for h in header[:4])
            raise OmbFormatError(
                f"{source_name}: not a known OMB AI use case inventory format (header starts: {shown[:120]})"
            )
        fmt = detected
    keys = column_keys(fmt, header)
    if "use_case_name" not in keys:
        raise OmbFormatError(f"{source_name}: header has no use case name column for format {fmt.value}")
    headers = {k: h.strip() for k, h in zip(keys, header, strict=True)}

    records: list[OmbRecord] = []
    issues: list[ImportIssue] = []
    seen_ids: dict[str, int] = {}
    occurrences: dict[tuple[str, str, str], int] = {}
    blank_rows: list[tuple[int, tuple[str, ...]]] = []
    for index in range(header_index + 1, len(rows)):
        cells_list = rows[index]
        number = index + 1
        if all(_blank(c) for c in cells_list):
            blank_rows.append((len(records), tuple(cells_list)))  # no use case; given back by the export
            continue
        cells = {k: (cells_list[i] if i < len(cells_list) else "") for i, k in enumerate(keys)}
        row = _Row(number, cells, headers)
        overflow = [c for c in cells_list[len(keys) :] if not _blank(c)]
        if overflow:
            for j, value in enumerate(cells_list[len(keys) :], start=len(keys) + 1):
                if not _blank(value):
                    cells[f"column_{j}"] = value
            row.issue("", " | ".join(overflow), f"row has {len(cells_list)} cells, header has {len(keys)}")
        record = _read_row(fmt, row, seen_ids, occurrences)
        record.cells = list(cells_list)
        records.append(record)
        issues.extend(row.issues)
    final_newline = text.endswith(("\n", "\r"))
    layout = SourceLayout(fmt, tuple(header), encoding, _newline(text), final_newline, tuple(blank_rows))
    return OmbReadResult(format=fmt, records=records, issues=issues, layout=layout, headers=headers)


def _read_row(
    fmt: OmbFormat,
    row: _Row,
    seen_ids: dict[str, int],
    occurrences: dict[tuple[str, str, str], int],
) -> OmbRecord:
    name = row.take("use_case_name")
    if not name:
        row.issue("use_case_name", "", "blank use case name")
    agency = row.get("agency").strip() or row.get("agency_name").strip()
    bureau = row.get("agency_bureau").strip()
    if fmt is OmbFormat.Y2023:
        office = _join_office(bureau, row.get("Office"))
        key_bureau = office
    else:
        office = _join_office(agency, bureau)
        key_bureau = bureau

    # Id: the file's own when present and not already used, else a generated one that depends only on
    # the row's agency, name, bureau and how many rows with that same key came before it.
    occurrence_key = (_key_part(agency), _key_part(name), _key_part(key_bureau))
    occurrence = occurrences.get(occurrence_key, 0)
    occurrences[occurrence_key] = occurrence + 1
    raw_id = row.take("id") if "id" in row.cells else ""
    record_id = raw_id
    if raw_id and raw_id in seen_ids:
        record_id = ""
        row.keep_raw("id")
        generated_note = f"id already used on row {seen_ids[raw_id]}; a generated id is used"
    else:
        generated_note = ""
    if not record_id:
        record_id = _generated_id(agency, name, key_bureau, occurrence)
        salt = 0
        while record_id in seen_ids:  # vanishingly unlikely; keeps ids unique regardless
            salt += 1
            record_id = _generated_id(agency, name, key_bureau, occurrence * 1000 + salt)
        if generated_note:
            row.issue("id", raw_id, f"{generated_note} ({record_id})")
    seen_ids[record_id] = row.number

    owner = row.take("contact_email") if "contact_email" in row.cells else ""
    stage = _read_stage(fmt, row)
    high_impact = _read_high_impact(fmt, row)
    _read_ato(row)
    unknown = {"stage"} if stage is None else set()
    if fmt is OmbFormat.Y2023 or row.unknown_high_impact:
        unknown.add("high_impact")
    if not any(item in row.coverage for item in ATO_ITEMS):
        unknown.add("have_ato")
    if fmt is OmbFormat.Y2025 and high_impact:
        _read_hi(row)

    return OmbRecord(
        id=record_id,
        name=name,
        office=office,
        owner=owner,
        stage=stage,
        high_impact=high_impact,
        coverage=row.coverage,
        evidence=row.evidence,
        extra=row.extra(),
        source_row=row.number,
        given=given_cells(row.cells),
        keyed=row.cells,
        unknown=frozenset(unknown),
        given_id=raw_id,
    )


def _read_stage(fmt: OmbFormat, row: _Row) -> str | None:
    if "development_stage" not in row.cells:
        return None
    raw = row.take("development_stage")
    if not raw:
        return None
    stage: str | None
    if fmt is OmbFormat.Y2025:
        stage = STAGE_2025.get(stage_long_form_head(raw))
    elif fmt is OmbFormat.Y2023:
        stage, up_front = stage_2023(raw)
        if stage is not None and clean_answer(raw) not in STAGE_2023_CANONICAL:
            row.keep_raw("development_stage")
            if not up_front:
                row.issue("development_stage", raw, f"free-text stage read as {stage!r}; check it")
    else:
        text = clean_answer(raw)
        stage = STAGE_2024.get(text)
        if stage is None:
            stage = STAGE_2024_STRAY.get(text)
            if stage is not None:
                row.keep_raw("development_stage")
    if stage is None:
        row.keep_raw("development_stage")
        row.issue("development_stage", raw, "unknown development stage; stage left blank")
    return stage


def _read_high_impact(fmt: OmbFormat, row: _Row) -> bool:
    if fmt is OmbFormat.Y2023:
        return False
    if fmt is OmbFormat.Y2025:
        if "is_high_impact" not in row.cells:
            return False
        raw = row.take("is_high_impact")
        if not raw:
            row.unknown_high_impact = True
            row.issue("is_high_impact", raw, "blank high-impact answer; left unknown (read as not high-impact)")
            return False
        words = answer_words(raw)
        if raw not in HI_CANONICAL:
            row.keep_raw("is_high_impact")
        if words in HI_TRUE:
            return True
        if words in HI_FALSE or words.startswith("presumed high impact"):
            return False
        row.unknown_high_impact = True
        row.issue("is_high_impact", raw, "unknown high-impact answer; read as not high-impact")
        return False
    # 2024: the M-24-10 rights-/safety-impacting question. Its raw answer stays in extra (as
    # 17_impact_type) because the 2025 column asks a different question.
    raw = row.get("17_impact_type").strip()
    if not raw:
        row.unknown_high_impact = True
        row.issue("17_impact_type", raw, "blank rights/safety-impacting answer; left unknown (read as not high-impact)")
        return False
    words = answer_words(raw)
    if HI_2024_TRUE.match(words):
        return True
    if words != "neither":
        row.unknown_high_impact = True
        reason = "not an allowed rights/safety-impacting answer; read as not high-impact"
        row.issue("17_impact_type", raw, reason)
    return False


def _read_ato(row: _Row) -> None:
    if "have_ato" not in row.cells:
        return
    raw = row.take("have_ato")
    text = clean_answer(raw)
    system = row.get("system_name_ato").strip()
    if system and clean_answer(system) not in NA:
        row.evidence[ATO_GRANTED] = system  # also stays in extra: the writer writes that copy
    if not text:
        return
    if text in YES:
        for item in ATO_ITEMS:
            row.coverage[item] = "met"
        row.evidence.setdefault(ATO_BOUNDARY, f"OMB inventory: {row.headers.get('have_ato', 'have_ato')} = {raw}")
        row.evidence.setdefault(ATO_PACKAGE, f"OMB inventory: {row.headers.get('have_ato', 'have_ato')} = {raw}")
    elif text in NO:
        row.coverage[ATO_GRANTED] = "gap"
    else:
        row.keep_raw("have_ato")
        row.issue("have_ato", raw, "not a Yes/No ATO answer; ATO coverage left unassessed")


def _read_hi(row: _Row) -> None:
    for column, item in HI_COLUMN_ITEMS.items():
        if column not in row.cells:
            continue
        raw = row.take(column)
        if not raw or raw in ("[]", "['']"):
            continue
        row.evidence[item] = raw
        status = hi_status(column, raw)
        if status is None:
            row.coverage[item] = "gap"
            row.keep_raw(column)
            row.issue(column, raw, "not an allowed answer for this practice; read as a gap")
            continue
        row.coverage[item] = status
        if raw != hi_default_answer(column, status):
            row.keep_raw(column)  # e.g. "Oversight Board Review": the writer gives it back verbatim
