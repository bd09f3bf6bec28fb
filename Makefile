# Two commands on a fresh machine: `make grade` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make grade` alone grades every assignment's sample submissions; name a folder and an assignment
# to grade real ones: `make grade SUBMISSIONS=path ASSIGNMENT=name [OUT=grades/name] [JOBS=n]`.
ASSIGNMENT ?=
SUBMISSIONS ?=
OUT ?= grades/$(ASSIGNMENT)
JOBS ?=
# `make data FROM=folder` fills the data cache from a folder of dataset files instead of downloading.
FROM ?=
# `make bench QUICK=1` runs every figure once on small inputs; BENCH_ARGS passes options to `python -m bench`.
QUICK ?=
BENCH_ARGS ?=
# The MNIST test split on the project's offline machines: `make grade` seeds the data cache from it.
SHARED_MNIST := ../shared/data/mnist
SEED_MNIST = $(if $(wildcard $(SHARED_MNIST)),$(BIN)/python -m autograder.datasets fetch mnist --split test --quiet --from $(SHARED_MNIST))

.PHONY: grade test test-fast lint assignments samples data bench clean sandbox-tools messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@$(MAKE) --no-print-directory sandbox-tools
	touch $(STAMP)

## sandbox-tools: where we are root, install bubblewrap (the grader falls back without it)
sandbox-tools:
	@if [ "$$(id -u)" = 0 ]; then \
		command -v bwrap >/dev/null || { apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
			|| { apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; } \
			|| echo "could not install bubblewrap: the grader will use its fallback isolation"; }; \
	else echo "not root: install bubblewrap yourself for the strongest isolation (autograder doctor)"; fi

## grade: grade SUBMISSIONS for ASSIGNMENT, or every assignment's samples, and print the gradebooks
grade: $(STAMP)
	$(SEED_MNIST)
ifeq ($(SUBMISSIONS),)
	@set -e; for a in $(or $(ASSIGNMENT),$$($(BIN)/autograder list)); do \
		$(BIN)/autograder samples --assignment $$a --out build/samples/$$a; \
		$(BIN)/autograder grade build/samples/$$a --assignment $$a --out grades/$$a $(if $(JOBS),-j $(JOBS)); \
	done
else
	$(BIN)/autograder grade $(SUBMISSIONS) --assignment $(ASSIGNMENT) --out $(OUT) $(if $(JOBS),-j $(JOBS))
endif

## test: lint, then the kit's own tests
test: $(STAMP) lint
	$(BIN)/python -m pytest
	AUTOGRADER_ISOLATION=fallback $(BIN)/python -m pytest -m sandbox

## test-fast: the edit loop (under 3 minutes): lint, then every test not marked slow (batches, browser, bench)
test-fast: $(STAMP) lint
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

## assignments: regenerate the student versions from the solutions
assignments: $(STAMP)
	$(BIN)/autograder build

## messages: re-extract the catalog's template (autograder/locale/messages.pot) from the sources and
## merge it into every language's messages.po (new entries empty, changed ones fuzzy: translate them;
## a new language: .venv/bin/pybabel init -i autograder/locale/messages.pot -d autograder/locale -l xx)
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output --omit-header --no-wrap \
		-o autograder/locale/messages.pot autograder
	$(BIN)/pybabel -q update -i autograder/locale/messages.pot -d autograder/locale -D messages \
		--ignore-obsolete --no-wrap

## data: fill the data cache (data/cache, or $AUTOGRADER_DATA) from FROM=folder, or download it
data: $(STAMP)
	$(BIN)/python -m autograder.datasets fetch $(if $(FROM),--from $(FROM))

samples: $(STAMP)
	@set -e; for a in $(or $(ASSIGNMENT),$$($(BIN)/autograder list)); do \
		$(BIN)/autograder samples --assignment $$a --out build/samples/$$a; done

## bench: speed figures into bench/results.json and README.md (QUICK=1: a short check run; BENCH_ARGS=...)
bench: $(STAMP)
	$(SEED_MNIST)
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)

clean:
	rm -rf build grades .pytest_cache
