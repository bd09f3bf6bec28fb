"""The "engine from scratch" assignment (seed 004): its spec, tests and training protocol."""
