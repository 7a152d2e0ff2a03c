"""The config file's [keymap]: an unknown binding id or a key two bindings of one screen would share stops
the app with one line naming the key, like any bad setting; a good keymap is taken as it is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from caio_tui.config import config_path, load_settings
from caio_tui.tui.app import CaioApp
from caio_tui.tui.keymap import check_keymap, keymap_problem, keys_markdown
from caio_tui.tui.screens.help import binding_groups
from helpers.cli import ok, run


def write_config(text: str) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(text, encoding="utf-8")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "p.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    return path


@pytest.mark.parametrize(
    ("keymap", "said"),
    [
        ('app.undoo = "z"', "app.undoo: not a binding id (did you mean app.undo?)"),
        (
            '"portfolio.sort_next" = "u"',
            'key "u" is given to portfolio.sort_next and also answers app.undo in Portfolio',
        ),
        ('"detail.promote" = "r"', 'key "r" is given to detail.promote and also answers detail.resolve_blocker'),
    ],
)
def test_a_conflicting_keymap_stops_the_app_with_one_line(db: Path, keymap: str, said: str) -> None:
    write_config(f"[keymap]\n{keymap}\n")
    result = run("--db", db)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"caio-tui: error: {config_path()}: keymap: {said}")
    assert result.stderr.count("\n") == 1


def test_a_good_keymap_is_read_and_passes_the_check() -> None:
    # Dotted ids quoted or not (TOML reads app.undo as a table app): the README's and docs/keys.md's examples.
    write_config('[keymap]\n"app.undo" = "ctrl+z, z"\nportfolio.promote = "P,>"\n')
    settings = load_settings()
    assert settings.keymap == {"app.undo": "ctrl+z,z", "portfolio.promote": "P,>"}
    check_keymap(settings.keymap, CaioApp)  # no error


def test_the_default_keys_overlap_only_by_design() -> None:
    """Remapping a key to itself is no conflict: the overlaps the app ships with are not the user's."""
    groups = binding_groups(CaioApp)
    same = {b.id: b.key for g in groups for b in g.bindings if b.id}
    assert keymap_problem(same, groups) is None


def test_docs_keys_lists_every_binding_id() -> None:
    """docs/keys.md is what a user reads to write a keymap: it must list the ids the app has today
    (CAIO_UPDATE_GOLDEN=1 rewrites it; read the diff before committing)."""
    path = Path(__file__).resolve().parents[2] / "docs" / "keys.md"
    text = keys_markdown(CaioApp)
    if os.environ.get("CAIO_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text
    assert "| `app.undo` | `u` | Undo your last change |" in text
