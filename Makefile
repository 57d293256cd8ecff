# FlowPilot — every target sets itself up: a fresh machine needs only python3 (3.11).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: run test bench lint install clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## make run: the whole embedded stack in one command. The app on its defaults (SQLite, local-memory cache,
## offline drafting) at http://127.0.0.1:8000, the ConnectWise, Autotask and HaloPSA simulators on 127.0.0.1:8765,
## 8767 and 8768 holding the demo tickets, and tasks run inline (eager Celery), or by a Celery worker when REDIS_URL / CELERY_BROKER_URL is set.
run: export FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = 1
run: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@pids=""; trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py cw_simulator --port 8765 & pids="$$pids $$!"; \
	$(PY) manage.py autotask_simulator --port 8767 & pids="$$pids $$!"; \
	$(PY) manage.py halo_simulator --port 8768 & pids="$$pids $$!"; \
	broker="$${CELERY_BROKER_URL:-$$REDIS_URL}"; \
	if [ -n "$$broker" ]; then \
	  $(VENV)/bin/celery -A flowpilot worker --concurrency 2 --loglevel WARNING & pids="$$pids $$!"; \
	  tasks="a Celery worker on $$broker"; \
	else tasks="inline (eager Celery; set REDIS_URL to run them on a worker)"; fi; \
	$(PY) manage.py runserver 127.0.0.1:8000 & pids="$$pids $$!"; \
	for _ in $$(seq 1 100); do \
	  $(PY) -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/accounts/login/', timeout=1)" 2>/dev/null && break; \
	  sleep 0.3; \
	done; \
	echo ""; \
	echo "  FlowPilot is running:  http://127.0.0.1:8000/"; \
	echo "  Sign in as:            demo / flowpilot-demo   (account admin: demo-admin / flowpilot-demo)"; \
	echo "                         demo-autotask, demo-halo / flowpilot-demo: the Autotask and HaloPSA demo accounts"; \
	echo "  ConnectWise simulator: http://127.0.0.1:8765/ (demo tickets 48213, 48227, 48230, 48241; test tickets 1001-1010)"; \
	echo "  Autotask simulator:    http://127.0.0.1:8767/   HaloPSA simulator: http://127.0.0.1:8768/"; \
	echo "  Tasks:                 $$tasks"; \
	echo "  Drafting:              $${ANTHROPIC_API_KEY:+Claude}$${ANTHROPIC_API_KEY:-offline (set ANTHROPIC_API_KEY to draft with Claude)}"; \
	echo "  Ctrl-C stops everything."; \
	echo ""; \
	wait

## make test: lint (ruff, and lint-imports for the apps' layers), then the whole suite (on PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
test: $(STAMP) lint
	$(PY) -m pytest -n 2 --dist loadfile -q -rs

## make bench: the performance table (DESIGN §8), measured on gunicorn, PostgreSQL, Redis and a real Celery
## worker. Needs PostgreSQL and Redis running: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
## flowpilot_bench, created if missing) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/2). BENCH_ARGS="--help".
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
