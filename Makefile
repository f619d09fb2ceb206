# Fieldbrief: `make run` opens the app on a demo territory, `make test` runs the suite.
# Both install what they need: Debian packages Qt loads (if missing), then a .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= .demo
DEMO_ACCOUNTS ?= 300
DEMO_SERVER_DIR ?= .demo-server
DEMO_PORT ?= 8740
# The demo territory's store is encrypted like any other; its key comes from this passphrase
# (as scripts do), so `make run` asks nothing. A real install keeps a random key in the OS
# keyring, or asks the rep for a passphrase where there is none.
DEMO_PASSPHRASE ?= demo territory only, not for real customers

# Shared libraries PySide6's xcb and offscreen platforms load, plus a font to draw with.
QT_DEBS := libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 \
	libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 \
	libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 \
	libxcb-xfixes0 libxcb-xkb1 libxcb-sync1 fonts-dejavu-core
# The browser and its WebDriver the web console's browser tests drive (Selenium).
BROWSER_DEBS := chromium chromium-driver

.PHONY: run test bench soak screenshots console-screenshots install sysdeps pgdeps browserdeps \
	lint clean

run: export FIELDBRIEF_STORE_PASSPHRASE ?= $(DEMO_PASSPHRASE)
run: install
	@test -f $(DEMO_DIR)/fieldbrief.sqlite3 || \
		$(BIN)/fieldbrief demo --accounts $(DEMO_ACCOUNTS) --seed 1 --data-dir $(DEMO_DIR)
	@test -f $(DEMO_SERVER_DIR)/server.sqlite3 || $(BIN)/fieldbrief-server \
		--data-dir $(DEMO_SERVER_DIR) demo --accounts $(DEMO_ACCOUNTS) --seed 1 >/dev/null
	@# The embedded server runs while the app does. Exit 3 from the app means no display:
	@# it has said so in one line, and how to get a screenshot instead. A second `make run`
	@# finds both running: the open window comes forward, and nothing else starts.
	@if $(BIN)/python -c "import socket, sys; \
		sys.exit(socket.socket().connect_ex(('127.0.0.1', $(DEMO_PORT))) != 0)"; then \
		$(BIN)/fieldbrief --data-dir $(DEMO_DIR); exit $$?; \
	fi; \
	$(BIN)/fieldbrief-server --data-dir $(DEMO_SERVER_DIR) serve --port $(DEMO_PORT) \
		>$(DEMO_SERVER_DIR)/server.log 2>&1 & server=$$!; \
	echo "Sync server on http://127.0.0.1:$(DEMO_PORT): press F5 and sign in as demo / demo-password"; \
	$(BIN)/fieldbrief --data-dir $(DEMO_DIR); status=$$?; kill $$server 2>/dev/null; \
	[ $$status -eq 0 ] || [ $$status -eq 3 ] || exit $$status

# The server and sync tests run on SQLite and on a throwaway PostgreSQL cluster, which
# tests/pg/with-postgres.sh starts for the run and removes after it. The console's browser
# tests drive Debian's chromium (browserdeps installs it).
test: install pgdeps browserdeps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen sh tests/pg/with-postgres.sh $(BIN)/python -m pytest

# Byte-compiled first, as the app is after its first start (or a pip install); where the
# environment sets PYTHONDONTWRITEBYTECODE, every timed start would compile our modules again.
bench: install
	$(BIN)/python -m compileall -q desktop ui db sync server resources
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

# Kills, store copies and network faults, trial after trial, against the real app, CLI and
# server on 127.0.0.1 (bench/soak/; about 15 minutes on 2 cores, SOAK_ARGS=--quick about 2).
# Prints a table; each failure with the seed that replays it. Not part of `make test`.
soak: install
	$(BIN)/python -m compileall -q desktop ui db sync server resources bench
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# Every page and dialog on a demo territory at 1366x768 and 1920x1080 (docs/screenshots/).
screenshots: install
	$(BIN)/python -m desktop.screenshots docs/screenshots

# Every page of the web console, signed in as each role, in Debian's chromium at a laptop's
# and a tablet's size (docs/screenshots/console/; the browser tests, saving what they see).
console-screenshots: install browserdeps
	FIELDBRIEF_CONSOLE_SCREENSHOTS=docs/screenshots/console QT_QPA_PLATFORM=offscreen \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/server/console/test_browser.py

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

install: sysdeps $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || $(MAKE) --no-print-directory apt DEBS=python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# Installs the Qt libraries that are missing; prints what to do when it cannot.
sysdeps:
	@command -v dpkg-query >/dev/null || exit 0; \
	missing=$$(for p in $(QT_DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || printf '%s ' $$p; done); \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt DEBS="$$missing"; fi

# Installs PostgreSQL for the tests if it is missing. Not fatal: without it the PostgreSQL
# tests skip, and say why.
pgdeps:
	@[ -z "$$FIELDBRIEF_TEST_DATABASE_URL" ] && command -v dpkg-query >/dev/null || exit 0; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	$(MAKE) --no-print-directory apt DEBS=postgresql || \
	echo "PostgreSQL could not be installed: the server tests will run on SQLite only."

# Installs chromium and chromium-driver for the console's browser tests if they are missing.
# Not fatal: without them those tests skip, and say why.
browserdeps:
	@command -v dpkg-query >/dev/null || exit 0; \
	missing=$$(for p in $(BROWSER_DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || printf '%s ' $$p; done); \
	[ -z "$$missing" ] || $(MAKE) --no-print-directory apt DEBS="$$missing" || \
	echo "chromium could not be installed: the console's browser tests will be skipped."

apt:
	@echo "Installing Debian packages: $(DEBS)"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "Please install as root: apt-get install $(DEBS)"; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEBS) >/dev/null

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(DEMO_SERVER_DIR) bench/.cache *.egg-info
