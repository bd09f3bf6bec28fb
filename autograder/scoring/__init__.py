"""From test outcomes to points: per-task policy and the late penalty."""
