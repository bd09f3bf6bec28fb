"""Checks of one interface of the students' code each, for the assignments that name it in their
`assignment.toml` (`interfaces = [...]`): a course's own conventions (its layers' signatures, its
Jacobians, its reference framework) stay here, and core `autograder.testing` keeps what any
assignment uses. An interface's worker-side probes are in `autograder.runtime.probes`, under the
same name."""
