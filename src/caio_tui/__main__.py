"""`python -m caio_tui`: the same as the `caio-tui` command."""

from caio_tui.cli import main

if __name__ == "__main__":
    main()
