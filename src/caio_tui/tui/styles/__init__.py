"""The look of the app, in one place.

The rule for where a style goes:
- app.tcss (this folder): the app's stylesheet, for what a screen or a dialog lays out (ids, screen
  classes such as `PortfolioScreen.-filtering`, the shared `.dialog` scaffolding). One file, read once.
- a widget's `DEFAULT_CSS`: only what the widget needs to look right wherever it is used (its own size,
  its own parts), selected by the widget's class name; nothing about the screen around it.
- content.py: styles applied in Python to Content (a status glyph's colour), shared by screens and
  dialogs; theme variables only, so dark and light themes both read well.
"""
