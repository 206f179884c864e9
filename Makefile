# The two commands: `make run` (the whole system locally) and `make test` (everything CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
STAGE  ?= dev

.PHONY: setup run test lint typecheck unit integration e2e format clean deploy destroy render package

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "pip<26.3"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*; touch $@

setup: $(STAMP) ## create the virtualenv and install every dependency

run: setup ## start the local stack (DynamoDB Local, API, websocket, Telegram sandbox, dashboard)
	$(BIN)/python -m infra.local $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: lint typecheck ## lint, type-check and run every test tier
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
	$(BIN)/python -m infra.aws.deploy --stage $(STAGE)

destroy: setup ## remove STAGE (prod tables are retained)
	$(BIN)/python -m infra.aws.destroy --stage $(STAGE)

render: setup ## write the infra CloudFormation template of STAGE to infra/aws/build/
	$(BIN)/python -m infra.aws.render --stage $(STAGE)

package: setup ## chalice package + infra, precompiled bytecode, cfn-lint (offline)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/python -m infra.aws.package --stage $(STAGE) --out build/package

clean:
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
