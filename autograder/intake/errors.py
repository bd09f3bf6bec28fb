"""The one error intake raises."""


class IntakeError(Exception):
    """Nothing gradable could be read; the message tells the student what to hand in instead."""
