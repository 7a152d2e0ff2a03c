"""caio-tui: triage a federal agency's portfolio of AI pilots, from a keyboard, offline."""

__version__ = "0.1.0"
