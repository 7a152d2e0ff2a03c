"""The consolidated COTS file: an agency's answers on OMB's twenty standard commercial AI uses, both ways.

OMB's 2025 guidance (section 1(a)(i)) lets an agency report certain widely used commercial AI once, as
a list of twenty standard uses, instead of use case by use case. The published file
(ombegov/2025-Federal-Agency-AI-Use-Case-Inventory, ``Data/2025_consolidated_COTS_AI_use_cases.csv``)
has one row per agency and standard use, and five columns:

    Agency, AI Use Case, Agency Use (Y/N)?, Name of Commercial Product or Service Used,
    Estimated # of Licenses/Users

UTF-8 with a byte-order mark, CRLF rows, line breaks inside some quoted product cells; the agency by its
full name; the answer ``Y``, ``N`` or blank; the licence band one of ``LICENSE_BANDS`` or blank.

Columns are found by their header names compared loosely (case, spaces, punctuation), in any order.
Every row is kept cell by cell as the file gave it (unknown answers, a leading space, extra cells), with
the file's encoding, byte-order mark, line ending and quoting, so ``write_cots`` gives the same bytes
back. Reading never raises for a row problem: it becomes a ``CotsIssue``. ``OmbFormatError`` is raised
only when the file as a whole is not a COTS file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from caio_tui.io.omb.agencies import abbreviation
from caio_tui.io.omb.records import OmbFormatError

COTS_HEADER: tuple[str, ...] = (
    "Agency",
    "AI Use Case",
    "Agency Use (Y/N)?",
    "Name of Commercial Product or Service Used",
    "Estimated # of Licenses/Users",
)
FIELDS: tuple[str, ...] = ("agency", "use_case", "in_use", "products", "licenses")

LICENSE_BANDS: tuple[str, ...] = ("1-100", "101-1000", "1001-5000", "5001-10,000", "10,000-50,000", "50,000+")

# The twenty uses of the guidance, a) to t), as the 2025 file words them.
STANDARD_USES: tuple[str, ...] = (
    "Scheduling internal-to-government meetings or appointments or setting reminders using AI.",
    "Logging and analyzing time spent on tasks using AI-powered time management tools.",
    "Transcribing, summarizing, or other efforts that improve the accessibility of a virtual meeting or "
    "interview using AI.",
    "Prioritizing and categorizing incoming emails using AI.",
    "Editing images, videos, or other public affairs materials using AI.",
    "Scheduling and managing social media posts using AI.",
    "Generating first drafts of documents, briefing, or communication materials using AI.",
    "Improving the quality of written communications using AI tools.",
    "Summarizing the key points of a lengthy report using AI.",
    "Creating visual representations of data sets for reports or presentations using AI.",
    "Using AI-assisted tools in word processors.",
    "Generating code using AI.",
    "Searching for agency information using a knowledge retrieval system.",
    "Identifying and cataloging items in a storage room using AI-driven image recognition.",
    "Managing or implementing security controls for information systems (e.g., cybersecurity) using AI",
    "Managing and prioritizing internal service or help desk tickets using AI.",
    "Curating news articles and updates based on user preferences using AI.",
    "Planning travel routes using AI-driven map applications.",
    "Finding and booking travel accommodations using AI-powered platforms.",
    "Unlocking smartphones or other devices without the need for passwords or PINs using AI-based facial "
    "recognition technology.",
)

_WORDS = re.compile(r"[a-z0-9]+")


def loose(text: str) -> str:
    """Text as compared: lower case, its words only ("Agency Use (Y/N)?" -> "agency use y n")."""
    return " ".join(_WORDS.findall(text.casefold()))


# Header names each field is recognised by, compared loosely: the published one first.
_HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "agency": ("agency", "agency name"),
    "use_case": ("ai use case", "use case", "standard use", "commercial ai use case"),
    "in_use": ("agency use y n", "agency use", "in use", "in use y n", "used y n", "agency use yes no"),
    "products": (
        "name of commercial product or service used",
        "commercial product or service used",
        "name of commercial product or service",
        "product",
        "products",
        "product name",
        "product names",
    ),
    "licenses": (
        "estimated of licenses users",
        "estimated number of licenses users",
        "estimated licenses users",
        "licenses users",
        "licenses",
        "license band",
        "licence band",
        "licences",
    ),
}
_REQUIRED = ("agency", "use_case", "in_use")
_STANDARD = {loose(u): u for u in STANDARD_USES}
_ANSWERS = frozenset({"Y", "N"})


def cots_columns(header: Sequence[str]) -> dict[str, int] | None:
    """Which cell of the header each field is in; None unless agency, use case and answer are all there."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = loose(cell)
        for name, spellings in _HEADER_NAMES.items():
            if name not in found and key in spellings:
                found[name] = index
                break
    return found if all(f in found for f in _REQUIRED) else None


@dataclass(frozen=True)
class CotsLayout:
    """How the file was written, so the export writes it the same way."""

    header: tuple[str, ...] = COTS_HEADER
    encoding: str = "utf-8"  # or "cp1252"
    bom: bool = True
    newline: str = "\r\n"
    final_newline: bool = True
    quote_all: bool = False

    def columns(self) -> dict[str, int]:
        return cots_columns(self.header) or {}


@dataclass(frozen=True)
class CotsRow:
    """One row as the file gave it (``cells``) and its five fields read from them (blank when absent)."""

    cells: tuple[str, ...]
    agency: str = ""
    use_case: str = ""
    in_use: str = ""
    products: str = ""
    licenses: str = ""

    @classmethod
    def of(cls, cells: Sequence[str], columns: dict[str, int]) -> CotsRow:
        values = {f: (cells[i] if i < len(cells) else "") for f, i in columns.items()}
        return cls(cells=tuple(cells), **values)

    @property
    def blank(self) -> bool:
        return not any(c.strip() for c in self.cells)


@dataclass(frozen=True)
class CotsIssue:
    row: int  # the file's row number (the header is row 1)
    column: str
    value: str
    reason: str


@dataclass
class CotsReadResult:
    layout: CotsLayout
    rows: list[CotsRow]
    issues: list[CotsIssue] = field(default_factory=list)
    exact: bool = True  # whether write_cots gives back the file's bytes
    unknown_agencies: list[str] = field(default_factory=list)


def _decode(data: bytes, source_name: str) -> tuple[str, str, bool]:
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    if b"\x00" in body:
        raise OmbFormatError(f"{source_name}: binary data, not a CSV text file")
    for encoding in ("utf-8", "cp1252"):
        try:
            return body.decode(encoding), encoding, bom
        except UnicodeDecodeError as exc:
            failed = exc.start
    raise OmbFormatError(f"{source_name}: cannot decode as UTF-8 or Windows-1252 (byte {failed})")


def _parse(text: str, source_name: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise OmbFormatError(f"{source_name}: not a readable CSV file ({exc})") from None


def looks_like_cots(data: bytes) -> bool:
    """Whether a file's first non-blank line is a COTS header (for an import's format detection)."""
    try:
        text, _, _ = _decode(data[:65_536], "")
    except OmbFormatError:
        return False
    for line in text.splitlines():
        if line.strip():
            header = next(csv.reader([line]), [])
            return cots_columns(header) is not None
    return False


def read_cots(data: bytes, *, source_name: str) -> CotsReadResult:
    """Read a consolidated COTS file. Row problems become issues; the file is refused only as a whole."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise OmbFormatError(f"{source_name}: empty file (no header row)")
    text, encoding, bom = _decode(data, source_name)
    rows = _parse(text, source_name)
    if not rows or cots_columns(rows[0]) is None:
        shown = ", ".join(c.strip() for c in (rows[0] if rows else [])[:5])
        raise OmbFormatError(
            f"{source_name}: not a consolidated COTS file: the header needs Agency, AI Use Case and "
            f"Agency Use (Y/N)? columns (header starts: {shown[:120]})"
        )
    first_end = text.find("\n")
    layout = CotsLayout(
        header=tuple(rows[0]),
        encoding=encoding,
        bom=bom,
        newline="\r\n" if first_end > 0 and text[first_end - 1] == "\r" else "\n",
        final_newline=text.endswith("\n"),
        quote_all=text.startswith('"') and text[: max(first_end, 0)].rstrip("\r").endswith('"'),
    )
    columns = layout.columns()
    result = CotsReadResult(layout=layout, rows=[CotsRow.of(cells, columns) for cells in rows[1:]])
    _check_rows(result, columns)
    result.exact = write_cots(layout, result.rows) == data
    if not result.exact:
        reason = "the export will not give back this file byte for byte (its quoting or spacing differs)"
        result.issues.append(CotsIssue(1, "file", "", reason + "; every cell is kept as given"))
    return result


def _check_rows(result: CotsReadResult, columns: dict[str, int]) -> None:
    headers = {f: result.layout.header[i].strip() for f, i in columns.items()}
    seen_agencies: set[str] = set()
    for number, row in enumerate(result.rows, start=2):
        if row.blank:
            continue

        def issue(name: str, value: str, reason: str, number: int = number) -> None:
            result.issues.append(CotsIssue(number, headers.get(name, name), value, reason))

        if len(row.cells) != len(result.layout.header):
            issue("row", "", f"row has {len(row.cells)} cells, header has {len(result.layout.header)}; kept as given")
        agency = row.agency.strip()
        if not agency:
            issue("agency", "", "blank agency")
        elif agency not in seen_agencies:
            seen_agencies.add(agency)
            if abbreviation(agency) is None:
                result.unknown_agencies.append(agency)
                issue("agency", agency, "agency name not in the agency map; kept as given, no abbreviation")
        if loose(row.use_case) not in _STANDARD:
            issue("use_case", row.use_case, "not one of OMB's twenty standard uses; kept as given")
        answer = row.in_use.strip()
        if not answer:
            issue("in_use", "", "blank answer: unknown (not N); kept blank")
        elif answer not in _ANSWERS:
            issue("in_use", answer, "not Y or N; kept as given")
        licenses = row.licenses.strip()
        if licenses and licenses not in LICENSE_BANDS:
            issue("licenses", licenses, "not one of OMB's licence bands; kept as given")
        if answer == "N" and (row.products.strip() or licenses):
            issue("in_use", answer, "answered N but names a product or licences; kept as given")


def write_cots(layout: CotsLayout, rows: Sequence[CotsRow]) -> bytes:
    """The file in its own layout: header and every row's cells as given, in the order given."""
    out = io.StringIO(newline="")
    if layout.quote_all:
        writer = csv.writer(out, lineterminator=layout.newline, quoting=csv.QUOTE_ALL)
    else:
        writer = csv.writer(out, lineterminator=layout.newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(layout.header)
    writer.writerows(row.cells for row in rows)
    text = out.getvalue()
    if not layout.final_newline and text.endswith(layout.newline):
        text = text[: -len(layout.newline)]
    body = text.encode(layout.encoding, errors="replace")
    return (b"\xef\xbb\xbf" if layout.bom else b"") + body
