"""One folder per assignment: its spec (assignment.toml) and its public and private tests."""
