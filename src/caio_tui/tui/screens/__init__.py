"""Screens and modal dialogs of the terminal app."""
