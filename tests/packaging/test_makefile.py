"""The Makefile picks the first Python of 3.11 or newer on PATH, and says so in one line when there is none.

Run on a copy of the Makefile with a PATH of stub pythons (each answers the version check with its exit
code), so no venv is made or touched.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def _make(tmp_path: Path, pythons: dict[str, bool], *args: str) -> subprocess.CompletedProcess[str]:
    """`make ARGS` in a copy of the project's Makefile, with only the stub `pythons` on PATH (True: new enough)."""
    work = tmp_path / "work"
    bin_dir = tmp_path / "bin"
    work.mkdir()
    bin_dir.mkdir()
    shutil.copy(ROOT / "Makefile", work / "Makefile")
    (work / "pyproject.toml").touch()
    for name, new_enough in pythons.items():
        stub = bin_dir / name
        stub.write_text(f"#!/bin/sh\nexit {0 if new_enough else 1}\n")
        stub.chmod(0o755)
    assert MAKE is not None
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        cwd=work,
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("pythons", "chosen"),
    [
        ({"python3.11": True, "python3": True}, "python3.11"),
        ({"python3.12": True, "python3.11": True}, "python3.12"),
        ({"python3.13": True, "python3.12": True, "python3.11": True}, "python3.13"),
        ({"python3": True}, "python3"),
        ({"python3.11": False, "python3": True}, "python3"),
    ],
)
def test_the_venv_is_made_with_the_first_python_of_3_11_or_newer(
    tmp_path: Path, pythons: dict[str, bool], chosen: str
) -> None:
    result = _make(tmp_path, pythons, "-n", ".venv/bin/caio-tui")
    assert result.returncode == 0, result.stderr
    assert f"{chosen} -m venv .venv" in result.stdout


def test_no_python_new_enough_stops_with_one_line(tmp_path: Path) -> None:
    result = _make(tmp_path, {"python3": False}, ".venv/bin/caio-tui")
    assert result.returncode != 0
    assert "caio-tui needs Python 3.11 or newer" in result.stdout
    assert not (tmp_path / "work" / ".venv").exists()
