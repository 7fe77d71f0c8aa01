"""Training: the module catalogue, training plans proposed from evidence, and the follow-up
that shows whether a plan worked."""
