"""Building student versions from the reference solutions, and sample submissions from both."""
