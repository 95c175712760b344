# showrunner — everyday entry points. `make demo` and `make test` work on a
# fresh Debian 12 machine: each installs what is missing first.

CARGO ?= cargo
BIN := target/debug/showrunner
DEMO_DIR := demo-out

.PHONY: deps samples build demo test lint bench-vqa eval-vqa clean

deps:
	@bash scripts/install-deps.sh

samples: deps
	@bash scripts/fetch-samples.sh
	@bash scripts/fetch-models.sh

build: deps
	$(CARGO) build --workspace

demo: samples build
	@bash scripts/demo.sh $(BIN) $(DEMO_DIR)

test: samples
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(CARGO) test --workspace --no-fail-fast; \
	fi

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf $(DEMO_DIR)
