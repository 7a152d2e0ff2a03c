"""The pilot detail screen's parts: the pilot read and drawn as Content (content.py) and its two keyboard
lists (lists.py). The screen that puts them together is tui/screens/detail.py."""
