"""The Compare view's two tables: the marked pilots side by side (matrix.py) and the whole portfolio as a
coverage heatmap paged from the store (heatmap.py). The screen that switches between them is
tui/screens/compare.py."""
