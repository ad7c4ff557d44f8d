"""Facts of the host the agent runs on, delivered as Observations."""
