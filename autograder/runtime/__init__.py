"""The code that runs inside the sandboxed worker, beside the student's code.

Everything here imports only the standard library and numpy: a test enforces it, so torch and the
grader's tests never enter the worker's process.
"""
