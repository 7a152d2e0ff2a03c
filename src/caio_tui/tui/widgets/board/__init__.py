"""The Pipeline board's parts: what a lane holds, read from the store (data.py), and the lanes drawn as
widgets (lanes.py). The screen that puts them together is tui/screens/pipeline.py."""
