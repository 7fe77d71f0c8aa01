"""Coaching sessions: a coach and an agent, the evaluations and plan items discussed, and
the actions agreed."""
