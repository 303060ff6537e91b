# `make serve`: install, build the seed index if missing, serve the chat on http://127.0.0.1:8000/
# `make test`:  install (with Chromium for the browser test) and run the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve test index chromium clean

serve: $(VENV)/.installed
	$(BIN)/qa-web

index: $(VENV)/.installed
	$(BIN)/qa index build

test: $(VENV)/.installed-test chromium
	$(BIN)/ruff check qa web tests benchmarks
	$(BIN)/python -m pytest -q

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else sudo apt-get update -q && sudo apt-get install -y -q chromium; fi; }

clean:
	rm -rf $(VENV) index/manifest.json index/*.faiss index/*.sqlite* index/eval
