"""Training: the module catalogue, training plans proposed from evidence, coaching sessions
and the follow-up that shows whether coaching worked."""
