"""Widgets and the data they show: shared ones at the top (the virtual table, the filter bar, the footer),
the parts of one screen in a folder named for it (board/, comparison/, detail/)."""
