"""The theme's colours as Rich styles, for what is drawn with Rich rather than Content (the table cells):
Rich styles cannot read theme variables, so Palette reads them once per theme; and the colour of a
readiness score in those styles. The first screen imports it: nothing here may pull in the pydantic
models (tests/test_startup.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.style import Style


@dataclass(frozen=True)
class Palette:
    """Concrete colours of the current theme for styled cells (Rich styles cannot read theme variables)."""

    warning: Style = field(default_factory=lambda: Style(color="yellow", bold=True))
    error: Style = field(default_factory=lambda: Style(color="red"))
    success: Style = field(default_factory=lambda: Style(color="green"))
    accent: Style = field(default_factory=lambda: Style(color="blue"))
    secondary: Style = field(default_factory=lambda: Style(color="cyan"))
    muted: Style = field(default_factory=lambda: Style(dim=True))

    @classmethod
    def from_theme(cls, variables: dict[str, str]) -> Palette:
        def color(name: str, fallback: str) -> Style:
            value = variables.get(name, fallback)
            return Style(color=value if value.startswith("#") else fallback)

        return cls(
            warning=color("text-warning", "yellow") + Style(bold=True),
            error=color("text-error", "red"),
            success=color("text-success", "green"),
            accent=color("text-primary", "blue"),
            secondary=color("text-secondary", "cyan"),
            muted=Style(dim=True),
        )


def score_style(score: float, palette: Palette) -> Style:
    return palette.success if score >= 0.75 else palette.warning if score >= 0.4 else palette.error
