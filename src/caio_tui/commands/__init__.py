"""CLI command groups beyond the core ones in caio_tui.cli, one module per capability."""
