"""The filter language typed in the app and given to `list`, and making user text safe to show."""

from __future__ import annotations

import pytest

from caio_tui.domain.filters import PilotFilter, parse_filter
from caio_tui.domain.history import AuditEvent
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import Territory
from caio_tui.domain.text import clip, printable

# ---- parse_filter ------------------------------------------------------------------------------------


def test_an_empty_filter_keeps_everything() -> None:
    assert parse_filter("").is_empty
    assert parse_filter("   ").is_empty
    assert not parse_filter("claims").is_empty


def test_every_token_kind() -> None:
    f = parse_filter(
        'stage:pilot blocker:shared-service-account territory:infrastructure office:"Human Capital" '
        "stalled high-impact stale claims triage"
    )
    assert f == PilotFilter(
        text=("claims", "triage"),
        stages=(Stage.PILOT,),
        blockers=(("shared-service-account",),),
        territories=(Territory.INFRASTRUCTURE,),
        offices=(("Human Capital",),),
        stalled=True,
        high_impact=True,
        approval_stale=True,
    )


def test_tokens_are_case_insensitive_and_repeatable() -> None:
    f = parse_filter("STAGE:Pilot stage:readiness Tag:Skills-Gap TERRITORY:Both Stalled HIGH-IMPACT")
    assert f.stages == (Stage.PILOT, Stage.READINESS)
    assert f.blockers == (("skills-gap",),)
    assert f.territories == (Territory.BOTH,)
    assert f.stalled and f.high_impact


def test_a_stage_label_in_quotes() -> None:
    assert parse_filter('stage:"Proof of concept"').stages == (Stage.POC,)


def test_words_that_are_not_tokens_are_free_text() -> None:
    f = parse_filter("x:y stage: blocker: stalledness 'two words'")
    assert f.text == ("x:y", "stage:", "blocker:", "stalledness", "two words")
    assert f.stages == () and f.blockers == () and not f.stalled


def test_an_unclosed_quote_while_typing_is_not_an_error() -> None:
    """While the user types `office:"Human Cap`, the filter already keeps the Human Capital offices."""
    f = parse_filter('office:"Human Cap')
    assert (f.offices, f.text) == ((("Human Cap",),), ())
    assert parse_filter('"shared serv').text == ("shared serv",)


def test_quotes_inside_a_word_are_plain_characters() -> None:
    assert parse_filter("O'Brien's tool").text == ("O'Brien's", "tool")
    assert parse_filter('5" display').text == ('5"', "display")
    assert parse_filter("\"\" ''").is_empty


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("stage:prod", "unknown stage 'prod'; did you mean 'production'\\? \\(one of intake, poc"),
        ("territory:mixed", "unknown territory 'mixed'; expected one of clear, infrastructure, organizational, both"),
    ],
)
def test_an_unknown_stage_or_territory_is_a_one_line_error(query: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_filter(query)
    assert "\n" not in str(caught.value)


# ---- printable -----------------------------------------------------------------------------------------


def test_escape_sequences_never_reach_the_terminal() -> None:
    assert printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert printable("bell\x07 nul\x00 del\x7f csi\x9b") == "bell\\x07 nul\\x00 del\\x7f csi\\x9b"


def test_markup_is_left_as_text() -> None:
    """Markup is not a control character: printable keeps it, the renderer must show it literally."""
    assert printable("[red]x[/red] <script>") == "[red]x[/red] <script>"


@pytest.mark.parametrize("override", ["\u202e", "\u202d", "\u202a", "\u2066", "\u2067", "\u2068", "\u2069"])
def test_bidi_overrides_are_escaped(override: str) -> None:
    shown = printable(f"invoice{override}fdp.exe")
    assert override not in shown
    assert shown == "invoice" + override.encode("unicode_escape").decode() + "fdp.exe"


def test_right_to_left_and_combining_text_is_kept() -> None:
    assert printable("שלום café e\u0301") == "שלום café e\u0301"


def test_newlines_tabs_and_carriage_returns() -> None:
    assert printable("a\nb\tc\rd") == "a⏎b cd"
    assert printable("a\nb", single_line=False) == "a\nb"
    assert printable("a\x1b\nb", single_line=False) == "a\\x1b\nb"


def test_clip_keeps_short_text_and_marks_the_cut() -> None:
    assert clip("short", 10) == "short"
    assert clip("exactly10!", 10) == "exactly10!"
    assert clip("much too long", 5) == "much…"
    assert len(clip("much too long", 5)) == 5


# ---- audit event summaries -----------------------------------------------------------------------------


def test_audit_event_summaries_use_the_domain_words() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 1, 1, tzinfo=UTC)

    def event(action: str, before: object, after: object) -> AuditEvent:
        return AuditEvent(id=1, at=at, actor="a", action=action, pilot_id="P", before=before, after=after)

    assert event("coverage.set", None, {"item_id": "ato.granted", "status": "met"}).summary() == (
        "ato.granted: not_assessed → met"
    )
    assert event("stage.move", {"stage": "pilot"}, {"stage": "readiness", "override": "CIO memo"}).summary() == (
        "pilot → readiness (override: CIO memo)"
    )
    assert event("blocker.open", None, {"tag": "skills-gap", "note": "no ML ops"}).summary() == "skills-gap: no ML ops"
    assert event("pilot.edit", {"owner": ""}, {"owner": "Ann"}).summary() == "owner: '' → 'Ann'"
