"""Disputes: supervisors and managers decide agents' challenges of released evaluations."""
