# The two commands: `make run` (the whole system locally) and `make test` (everything CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
STAGE  ?= dev

.PHONY: setup run test lint typecheck unit integration e2e format clean deploy destroy render package bench reliability

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "pip<26.3"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*; touch $@

DASH_STAMP := dashboard/node_modules/.installed-$(shell sha1sum dashboard/package-lock.json | cut -c1-12)
DASH_SRC   := $(shell find dashboard/src dashboard/index.html dashboard/login.html dashboard/public -type f 2>/dev/null)

$(DASH_STAMP): dashboard/package-lock.json
	npm --prefix dashboard ci --no-audit --no-fund --loglevel=error
	@rm -f dashboard/node_modules/.installed-*; touch $@

dashboard/dist/index.html: $(DASH_STAMP) $(DASH_SRC) dashboard/vite.config.ts dashboard/package.json
	npm --prefix dashboard run build --silent

setup: $(STAMP) dashboard/dist/index.html ## virtualenv, Python and npm dependencies, dashboard build

run: setup ## start the local stack (DynamoDB Local, API, websocket, Telegram sandbox, dashboard)
	$(BIN)/python -m infra.local $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup ## benchmarks on DynamoDB Local + the sandbox: bench/results/latest.json + a table
	$(BIN)/python -m bench $(ARGS)

reliability: setup ## the reliability suite alone (also part of make test)
	$(BIN)/python -m pytest -q tests/reliability

typecheck: setup
	$(BIN)/mypy

test: lint typecheck ## lint, type-check and run every test tier (Python and dashboard)
	npm --prefix dashboard test --silent
	@$(BIN)/python -m pytest -q $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: check testpaths in pyproject.toml" >&2; exit 1; fi; \
	exit $$status

unit: setup
	$(BIN)/python -m pytest -q tests/unit

integration: setup
	$(BIN)/python -m pytest -q tests/integration

e2e: setup
	$(BIN)/python -m pytest -q tests/e2e

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

deploy: setup ## deploy STAGE (infra stack, chalice deploy, dashboard, webhooks): see docs/deploy.md
	$(BIN)/python -m infra.aws.deploy --stage $(STAGE) $(ARGS)

destroy: setup ## remove STAGE (prod tables are retained)
	$(BIN)/python -m infra.aws.destroy --stage $(STAGE) $(ARGS)

render: setup ## write the infra CloudFormation template of STAGE to infra/aws/build/
	$(BIN)/python -m infra.aws.render --stage $(STAGE)

package: setup ## chalice package + infra, precompiled bytecode, cfn-lint (offline)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/python -m infra.aws.package --stage $(STAGE) --out build/package

clean:
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
