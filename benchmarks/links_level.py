"""Suggesting links: `suggest_links` over 100,000 pilots named as `caio-tui generate` names them and 100
applications as an IdP lists them (half named after a pilot's topic and function the way teams name their
apps, half the agency's other software), some owned by a pilot's owner. It runs on every load of the
Identity view and after every link or import, so it must stay well under a second.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from benchmarks.harness import Measure, Results, repeat
from caio_tui.domain.identity import Vendor
from caio_tui.domain.identity_links import suggest_links
from caio_tui.domain.identity_rules import IdentityApp
from caio_tui.io.generate import _FIRST, _FUNCTIONS, _LAST, _QUALIFIERS, _TOPICS

PILOTS = 100_000
APPS = 100
SIZE = "100k"
OTHER_SOFTWARE = (
    "Salesforce", "ServiceNow", "Workday", "Microsoft Teams", "Zoom for Government", "Box", "DocuSign",
    "GitHub Enterprise", "Tableau Server", "Adobe Acrobat Sign", "Concur Travel", "Splunk Cloud", "Jira",
    "Confluence", "Smartsheet", "Palantir Foundry", "Databricks Workspace", "Snowflake", "Power BI", "Webex",
)  # fmt: skip
STYLES = ("{topic} {function}", "{topic} {function} (prod)", "svc-{topic}-{function}", "{topic} {function} API")


def measures() -> list[Measure]:
    return [Measure("idp.links", "identity: link suggestions, 100k pilots x 100 apps", "time", {SIZE: 0.5})]


def pilots(count: int = PILOTS, seed: int = 1) -> list[tuple[str, str, str]]:
    """(id, name, owner) as the generator draws them."""
    draw = random.Random(seed)
    return [
        (
            f"AI-{n:06d}",
            f"{draw.choice(_TOPICS)} {draw.choice(_FUNCTIONS)}{draw.choice(_QUALIFIERS)}",
            f"{draw.choice(_FIRST)} {draw.choice(_LAST)}",
        )
        for n in range(1, count + 1)
    ]


def apps(count: int = APPS, seed: int = 1) -> list[IdentityApp]:
    draw = random.Random(seed)
    found = []
    for n in range(count):
        vendor = Vendor.OKTA if n % 3 else Vendor.ENTRA
        if n % 2:
            name = f"{OTHER_SOFTWARE[n // 2 % len(OTHER_SOFTWARE)]} {n}"
        else:
            topic, function = draw.choice(_TOPICS), draw.choice(_FUNCTIONS)
            name = draw.choice(STYLES).format(topic=topic, function=function)
        owners = (f"{draw.choice(_FIRST)} {draw.choice(_LAST)}",) if n % 5 == 0 else ()
        found.append(IdentityApp(vendor, f"app{n}", f"app{n}", name, owners=owners))
    return found


def run(results: Results, *, times: int, log: Callable[[str], None]) -> None:
    (measure,) = measures()
    every_pilot, every_app = pilots(), apps()
    found = suggest_links(every_pilot, every_app, set())
    stats = repeat(lambda: suggest_links(every_pilot, every_app, set()), times, warmup=0)
    results.add(SIZE, measure, stats)
    results.note(SIZE, f"idp: {len(found):,} link suggestions for {PILOTS:,} pilots and {APPS} applications")
    log(f"  {measure.label:<60} {stats.median:9.2f} s, {len(found):,} suggestions")
