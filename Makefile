# Fabreck — two commands: `make demo` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_ENV := DEBUG=0 HTTPS=0 SERVE_MEDIA=1 ALLOWED_HOSTS=127.0.0.1,localhost \
	DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 \
	EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend \
	EMAIL_FILE_PATH=$(CURDIR)/var/mail SECRET_KEY_FILE=$(CURDIR)/var/secret_key
TEST_ENV := DJANGO_SETTINGS_MODULE=fabreck.config.settings_test

.PHONY: install assets demo test test-sqlite test-postgres lint format bench messages clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

assets: install
	$(PY) scripts/vendor_assets.py
	$(PY) scripts/compile_messages.py

var/secret_key:
	@mkdir -p var
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

demo: assets var/secret_key
	@mkdir -p var/mail
	$(DEMO_ENV) $(VENV)/bin/fabreck collectstatic --noinput -v 0
	@if [ ! -f var/demo.sqlite3 ]; then \
		$(DEMO_ENV) $(VENV)/bin/fabreck migrate -v 0 && \
		$(DEMO_ENV) $(VENV)/bin/fabreck seed --scale demo; \
	else $(DEMO_ENV) $(VENV)/bin/fabreck migrate -v 0; fi
	@$(DEMO_ENV) $(VENV)/bin/fabreck demo_logins
	@echo "E-mails sent by the demo are written to var/mail/."
	$(DEMO_ENV) $(VENV)/bin/fabreck serve --bind 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test-sqlite: assets
	$(TEST_ENV) $(VENV)/bin/pytest

# Only where PostgreSQL server binaries exist: a throwaway server for one run.
test-postgres: assets
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(TEST_ENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH scripts/with_postgres.sh $(VENV)/bin/pytest; \
	else echo "PostgreSQL server binaries not found: the PostgreSQL run is skipped."; fi

test: lint test-sqlite test-postgres

bench: assets
	$(PY) bench/run.py

# For developers (needs GNU gettext): collect new strings into the .po files.
messages: install
	cd fabreck && $(TEST_ENV) ../$(VENV)/bin/django-admin makemessages -l fr -l de \
		--no-location --ignore "*/migrations/*"

clean:
	rm -rf build var/static .pytest_cache .ruff_cache
