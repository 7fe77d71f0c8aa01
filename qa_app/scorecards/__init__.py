"""Scorecards: the list, published versions, file download, and the web builder."""
