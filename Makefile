# baoming — the two commands: `make run` (local stack) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint unit integration e2e bench venv clean assets browser package deploy
STAGE ?= dev

venv: $(STAMP)

# Front-end libraries come from npm at build time; generated, not committed: the scanner's QR
# decoder (jsQR) and the console's QR encoder (qrcode-generator). axe-core is for the tests only.
VENDOR := chalicelib/web/static/vendor
$(VENDOR)/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/jsqr/dist/jsQR.js $(VENDOR)/jsQR.js
	cp node_modules/qrcode-generator/dist/qrcode.js $(VENDOR)/qrcode-generator.js
	@touch $@

assets: $(VENDOR)/.built

# Browser tests drive Debian's Chromium (browser downloads don't work here).
# CJK fonts only matter for screenshots (test-artifacts/); pages use the phone's own fonts.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@fc-list :lang=zh 2>/dev/null | grep -q . || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "baoming needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP) assets
	PORT=$(PORT) $(BIN)/python -m devtools.run_local

# ruff (lint + format) and mypy on the shipped code, with zero findings; `make test` runs it first.
lint: $(STAMP)
	$(BIN)/ruff check app.py chalicelib
	$(BIN)/ruff format --check app.py chalicelib
	$(BIN)/mypy

test: lint $(STAMP) assets browser
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP) assets browser
	$(BIN)/python -m pytest tests/e2e

bench: $(STAMP) assets browser
	$(BIN)/python -m bench

# Offline: the CloudFormation template and the Lambda zip (with bytecode) in build/$(STAGE)/.
package: $(STAMP) assets
	$(BIN)/python -m devtools.package --stage $(STAGE)

# Needs AWS credentials and an S3 bucket for the code: see README "Deploy". Not run in CI.
deploy: package
	@test -n "$(CODE_BUCKET)" || { echo "set CODE_BUCKET=<an S3 bucket for the Lambda zip>"; exit 2; }
	aws cloudformation package --template-file build/$(STAGE)/sam.json --s3-bucket $(CODE_BUCKET) \
		--output-template-file build/$(STAGE)/packaged.yaml
	aws cloudformation deploy --template-file build/$(STAGE)/packaged.yaml --stack-name baoming-$(STAGE) \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
		--parameter-overrides Stage=$(STAGE) PublicBaseUrl=$(PUBLIC_BASE_URL)

clean:
	rm -rf $(VENV) .pytest_cache
