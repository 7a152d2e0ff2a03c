"""`list --filter` speaks the app's filter grammar (category, OR, negation, ready), and every misspelt value
or flag is one line with a "did you mean" and exit 2, the `--blocker` and `--stage` options too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.cli import ok, run


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("grammar") / "p.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    return path


def listed(db: Path, *args: str) -> set[str]:
    return {p["id"] for p in json.loads(ok(run("--db", db, "list", "--json", *args)))}


def test_the_grammar_of_the_app(db: Path) -> None:
    identity = listed(db, "--filter", "category:identity")
    assert identity and identity == listed(db, "--filter", "category:identity -stalled") | (
        identity & listed(db, "--filter", "stalled")
    )
    assert listed(db, "--blocker", "shared-service-account,personal-credentials") == listed(
        db, "--filter", "blocker:shared-service-account"
    ) | listed(db, "--filter", "blocker:personal-credentials")
    assert listed(db, "--filter", "ready")
    assert listed(db, "--stage", "Proof of concept") == listed(db, "--filter", "stage:poc")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--filter", "blocker:shared-service-acount"), "did you mean 'shared-service-account'?"),
        (("--blocker", "shared-service-acount"), "did you mean 'shared-service-account'?"),
        (("--filter", "blocker:identity"), "did you mean category:identity"),
        (("--filter", "stalld"), "did you mean stalled?"),
        (("--filter", "category:identiy"), "did you mean 'identity'?"),
        (("--filter", "-stage:piolt"), "did you mean 'pilot'?"),
        (("--filter", "office:zzzz"), "no office contains 'zzzz'"),
        (("--territory", "infra"), "did you mean 'infrastructure'?"),
    ],
)
def test_a_misspelt_value_is_one_line_and_exit_2(db: Path, args: tuple[str, ...], message: str) -> None:
    result = run("--db", db, "list", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
