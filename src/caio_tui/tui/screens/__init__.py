"""Whole screens: the five views (navigation.VIEWS), the pilot detail, help and the snapshot comparison.
Modal dialogs live in tui/dialogs/, the parts of a screen in tui/widgets/."""
