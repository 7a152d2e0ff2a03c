"""The terminal app. Talks to the portfolio only through the store API. Where things live:

- app.py: the app (CaioApp): views as modes, the keys that work anywhere, app-wide state.
- host.py: what screens, dialogs and the palette may ask of the app (CaioHost), so none imports app.py.
- navigation.py: the list of views and their number keys.
- palette.py: the command palette (ctrl+p) and what its commands do.
- speed.py: every device that trades plain code for speed, each with the figure it buys.
- screens/: whole screens: the five views, the pilot detail, help, the snapshot comparison.
- dialogs/: every modal dialog (a ModalScreen over a screen), on dialogs/base.py's Dialog.
- widgets/: widgets and their data; a screen's own parts in widgets/<area>/ (board, comparison, detail).
- styles/: the stylesheet (app.tcss), the rule for what goes in a widget's DEFAULT_CSS, and the styles
  applied in Python.

Imports go down that list of homes and never back up (pyproject.toml's import-linter contracts):
app > palette > screens > dialogs > widgets > host, navigation, styles > speed.
"""
