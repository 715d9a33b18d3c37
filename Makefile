# ThinkFamily: two commands do all the set-up.
#   make demo   - install, migrate, load a small synthetic population, create demo users, serve on 127.0.0.1:8000
#   make test   - install, lint (ruff), run the whole suite
# With DATABASE_URL / REDIS_URL unset: SQLite under var/ and eager Celery tasks.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
DEMO_SEED ?= 42
DEMO_DIR := var/demo-extract
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install migrate demo-data serve worker clean

install: $(STAMP) $(NPM_STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(NPM_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo-data: migrate
	$(PY) manage.py demo_setup --seed $(DEMO_SEED) --out $(DEMO_DIR)

demo: demo-data
ifdef REDIS_URL
	$(VENV)/bin/celery -A thinkfamily worker --beat --loglevel=info --concurrency=2 & \
	trap 'kill $$!' EXIT; $(PY) manage.py runserver $(HOST):$(PORT)
else
	$(PY) manage.py runserver $(HOST):$(PORT)
endif

serve: install
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	$(VENV)/bin/celery -A thinkfamily worker --beat --loglevel=info

test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules var
