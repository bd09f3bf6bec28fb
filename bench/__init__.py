"""`make bench`: how fast the kit grades, measured as figures and ratios, never asserted in tests.

One module per figure: `single` (one submission per assignment, split into startup, intake, tests
and reports), `course_ratio` (our grading of the autodiff reference against the course's own
suite, `course_suite`), `throughput` (batches at several `-j`), `layers` (the reference NumPy
layers against torch) and `memory` (peak resident memory of the grader and of a worker). `__main__`
runs them and writes `bench/results.json` and the README's Performance table.

The layer comparisons run single-threaded in this process, like the grader's worker; the thread
variables must be set before NumPy loads, so importing the package sets them. The processes the
bench starts (the grader, the course's suite) get the environment the bench was started with.
"""

from __future__ import annotations

import os

INHERITED_ENV = dict(os.environ)
os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
