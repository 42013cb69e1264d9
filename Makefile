# Two commands matter: `make run` and `make test`. Both work on a fresh
# machine with only Python 3.11 and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test e2e install install-dev lint migrate demo worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP) $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

## make run: install, migrate SQLite, load demo data, print logins, serve :8000
run: $(STAMP)
	$(BIN)/pybabel -q compile -d locale -D django
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: install dev tools and run the whole suite (SQLite unless DATABASE_URL is set)
test: $(DEV_STAMP)
	$(BIN)/pybabel -q compile -d locale -D django
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make e2e: only the browser tests (needs `apt-get install -y chromium` and npm);
## `make test` runs them too, and skips them where Chromium or axe-core is missing
e2e: $(DEV_STAMP)
	npm ci --no-audit --no-fund
	$(BIN)/pybabel -q compile -d locale -D django
	$(BIN)/python -m pytest -m browser e2e $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

worker: $(STAMP)
	$(BIN)/celery -A ndl_ill worker -l info

beat: $(STAMP)
	$(BIN)/celery -A ndl_ill beat -l info

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles screenshots node_modules
