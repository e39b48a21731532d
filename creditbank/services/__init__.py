"""Use cases: one function each, one transaction each. Views and commands call these and nothing deeper."""
