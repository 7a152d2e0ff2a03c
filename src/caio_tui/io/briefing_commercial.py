"""The briefing's section on the agency's commercial AI uses (the consolidated COTS file), self-contained:
its facts, its Markdown and its HTML (escaped: every name in it comes from a file)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from caio_tui.domain.text import clip, printable
from caio_tui.io.commercial import agency_uses, in_use_label, portfolio_agency, products_list
from caio_tui.store import Portfolio
from caio_tui.store import commercial as store

HEADING = "Commercial AI uses (consolidated COTS file)"
PRODUCTS_SHOWN = 8


@dataclass(frozen=True)
class CommercialSection:
    source: str
    agency: str | None  # None: every agency of the file
    uses: list[tuple[str, str, str, str]]  # (use, answer in words, products, licences)
    products: list[tuple[str, int]]

    @property
    def in_use(self) -> int:
        return sum(1 for _, answer, _, _ in self.uses if answer == "Yes")

    @property
    def unknown(self) -> int:
        return sum(1 for _, answer, _, _ in self.uses if answer == "unknown")

    def headline(self) -> str:
        who = self.agency or "all agencies"
        text = f"{who}: {self.in_use} of {len(self.uses)} standard uses in use (from {self.source})"
        return text + (f"; {self.unknown} unanswered (unknown)" if self.unknown else "")


def commercial_section(portfolio: Portfolio) -> CommercialSection | None:
    """None when no COTS file was imported (the briefing then has no such section)."""
    file = store.stored_file(portfolio)
    if file is None:
        return None
    agency = portfolio_agency(portfolio)
    found = agency_uses(portfolio, agency)
    uses = [
        (u.use_case.strip(), in_use_label(u.in_use), " ".join(u.products.split()), u.licenses.strip()) for u in found
    ]
    return CommercialSection(file.source, agency, uses, products_list(found)[:PRODUCTS_SHOWN])


def markdown_lines(section: CommercialSection | None) -> list[str]:
    from caio_tui.io.reports import md as _md  # io.reports imports io.briefing, which imports this

    if section is None:
        return []
    out = ["", f"## {HEADING}", "", _md(section.headline()), ""]
    if section.products:
        named = ", ".join(f"{_md(name)} ({n})" for name, n in section.products)
        out += [f"Products named most: {named}", ""]
    out += ["| Standard use | In use | Products | Licences |", "|---|---|---|---|"]
    out += [
        f"| {_md(clip(use, 90))} | {answer} | {_md(clip(products, 90)) or '-'} | {_md(licences) or '-'} |"
        for use, answer, products, licences in section.uses
    ]
    return out


def html_section(section: CommercialSection | None) -> Markup:
    if section is None:
        return Markup("")
    rows = "".join(
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            clip(printable(use), 120), answer, clip(printable(products), 160) or "-", printable(licences) or "-"
        )
        for use, answer, products, licences in section.uses
    )
    return Markup(
        "<section>\n    <h2>{}</h2>\n    <p>{}</p>\n    <table><thead><tr><th>Standard use</th><th>In use</th>"
        "<th>Products</th><th>Licences</th></tr></thead><tbody>{}</tbody></table>\n  </section>\n"
    ).format(HEADING, printable(section.headline()), rows)
