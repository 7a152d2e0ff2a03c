"""Imports, exports and reports: files in and out of a portfolio."""
