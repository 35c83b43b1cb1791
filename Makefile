# Two entry points for a fresh clone (see README):
#   make demo  -> installs abs in .venv and produces the demo output, offline
#   make test  -> installs abs with test tools in .venv and runs the test suite
#   make lab   -> installs abs and opens the explorer study in JupyterLab (TERRITOIRE=code, default: the demo)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
TERRITOIRE ?= 000000001

.PHONY: install demo test lab clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

demo: install
	$(BIN)/abs demo

test: install
	$(BIN)/python -m pytest -q

lab: install
	$(BIN)/abs lab $(TERRITOIRE)

clean:
	rm -rf $(VENV) .pytest_cache
