"""The sync engine: plan, merge, apply, state."""
