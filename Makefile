# The two commands of the README: `make run` and `make test`. Each installs
# what it needs on a fresh machine: a virtual environment with the pinned
# requirements, and (for the browser tests) Debian's chromium.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501
# The web app listens on this machine only; `HOST=0.0.0.0 make run` serves it to the network.
HOST   ?= 127.0.0.1

.PHONY: install run test lint bench chromium clean catalogue docs

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium for the Playwright browser tests (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium"; exit 1; }; }

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.address $(HOST) --server.port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) chromium lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/bench.py

# The mutation run, outside `make test` (about 15 minutes): hand-made mutants of migrator/ and
# webui/ (tools/mutation.py), each applied to a copy of the work tree under /tmp, never to these
# files; prints the share each folder's tests kill, and the survivors.
.PHONY: mutation
mutation: $(STAMP)
	$(PY) tools/mutation.py

# Rewrite migrator/chart/data/catalogue.json (the keys each chart version reads) from the
# shipped packages; run it after dropping a new adaptive-<version>.tgz into that folder.
catalogue: $(STAMP)
	$(PY) -m migrator.chart.build_catalogue

# Rewrite README.md's generated sections (the table of breaking changes from the registry, the
# finding codes from migrator/report/codes.py); tests/test_readme.py fails when they are stale.
docs: $(STAMP)
	$(PY) -m tools.readme

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
