"""The terminal app: screens, widgets and styles. Talks to the portfolio only through the store API."""
