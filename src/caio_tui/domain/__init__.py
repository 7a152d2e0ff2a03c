"""The pure domain: models and rules. No I/O, no SQLite, no Textual."""
