"""Feedback: an agent reads released evaluations, acknowledges them or disputes them."""
