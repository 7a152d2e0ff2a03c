"""Dialogs: every ModalScreen of the app (a question, a form, a picker, a long transfer with its progress).

A dialog is opened over a screen, returns its answer with dismiss(), and imports nothing of the screens
or the app: what it needs (the portfolio, a path) is given to it.
"""
