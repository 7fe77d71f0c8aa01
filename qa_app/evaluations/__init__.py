"""Evaluations: the work queue (sampling, assignments), the scoring form, release to the
agent, history, and the rules that disputes and feedback use."""
