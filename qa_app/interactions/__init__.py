"""Monitored customer interactions: entered by hand, imported, and sampled for evaluation."""
