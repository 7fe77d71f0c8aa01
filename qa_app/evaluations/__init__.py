"""Evaluations: the scoring form, release to the agent, acknowledgement, disputes, history."""
