"""Running an assignment's pytest tests against one submission and collecting their outcomes."""
