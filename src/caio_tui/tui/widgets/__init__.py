"""Reusable Textual widgets for caio-tui."""
