# Two commands on a fresh machine: `make grade` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSIGNMENT ?= autodiff
SAMPLES := build/samples/$(ASSIGNMENT)
SUBMISSIONS ?= $(SAMPLES)
OUT ?= grades/$(ASSIGNMENT)
JOBS ?=

.PHONY: grade test lint assignments samples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## grade: grade SUBMISSIONS (default: the kit's samples) for ASSIGNMENT and print the gradebook
grade: $(STAMP)
ifeq ($(SUBMISSIONS),$(SAMPLES))
	$(BIN)/autograder samples --assignment $(ASSIGNMENT) --out $(SAMPLES)
endif
	$(BIN)/autograder grade $(SUBMISSIONS) --assignment $(ASSIGNMENT) --out $(OUT) $(if $(JOBS),-j $(JOBS))

## test: lint, then the kit's own tests
test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

## assignments: regenerate the student versions from the solutions
assignments: $(STAMP)
	$(BIN)/autograder build

samples: $(STAMP)
	$(BIN)/autograder samples --assignment $(ASSIGNMENT) --out $(SAMPLES)

clean:
	rm -rf build grades .pytest_cache
