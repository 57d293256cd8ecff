# FlowPilot — every target sets itself up: a fresh machine needs only python3 (3.11).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: run test lint install clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## make run: the app on its embedded defaults (SQLite, local-memory cache, eager tasks, offline drafting) at
## http://127.0.0.1:8000, with the ConnectWise simulator on 127.0.0.1:8765 holding the demo tickets
run: export FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = 1
run: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@echo "FlowPilot is starting at http://127.0.0.1:8000/ — sign in as demo / flowpilot-demo (Ctrl-C stops it)"
	@trap 'kill $$simulator 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py cw_simulator --port 8765 & simulator=$$!; \
	$(PY) manage.py runserver 127.0.0.1:8000

## make test: lint, then the whole suite (on PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
test: $(STAMP) lint
	$(PY) -m pytest -n 2 --dist loadfile -q -rs

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
