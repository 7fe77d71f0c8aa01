"""Operators' maintenance: backup and restore, and the integrity check."""
