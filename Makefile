# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
VENDORED := node_modules/.hongxin-vendored

.PHONY: install run test test-install lint bench clean

install: $(VENV)/.installed $(VENDORED)

# Re-installs only when the dependency list changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The console's scripts from the npm registry, as package-lock.json pins them; the
# devDependencies (axe-core, for the browser tests) stay in node_modules.
$(VENDORED): package.json package-lock.json scripts/vendor-assets.sh
	@command -v npm > /dev/null || { echo "npm not found: install Node.js 18 or later" \
		"(Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	bash scripts/vendor-assets.sh
	touch $@

run: install
	$(BIN)/hongxin db upgrade
	$(BIN)/hongxin demo-data
	$(BIN)/hongxin serve --host $(HOST) --port $(PORT)

# Includes tests/test_install.py: the wheel installed alone into a fresh venv.
test: install
	$(BIN)/pytest

# Only the production-install test (scripts/install-wheel.sh, as the Dockerfile).
test-install: install
	$(BIN)/pytest -m install

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules app/console/static/vendor .pytest_cache .mypy_cache .ruff_cache *.egg-info build dist
