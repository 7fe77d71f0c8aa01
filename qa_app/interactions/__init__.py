"""Monitored customer interactions: listed, entered by hand, imported, and shown with their
evaluations."""
