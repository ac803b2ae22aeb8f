# investiGATOR: make help lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin/investigator
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
CASES ?= cases
ADDR ?= 127.0.0.1:8000
BENCH_RECORDS ?= 5000000

.DEFAULT_GOAL := help

.PHONY: help build test lint generate check-generated demo bench nodeapi clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/investigator
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/investigator

generate: ## regenerate templ components
	$(GO) tool templ generate

check-generated: generate ## fail when generated code is stale
	@git diff --exit-code -- '*_templ.go' || { echo "generated files are stale: run make generate and commit"; exit 1; }

lint: ## gofmt check and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); \
	  if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

nodeapi: ## install DuckDB's Node clients (1.4 LTS and 1.5), the stand-ins for the duckdb shells in tests
	@if command -v npm >/dev/null; then \
	  cd test/nodeapi && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }; \
	else echo "npm not found: the duckdb-shell compatibility test will be skipped"; fi

test: lint check-generated nodeapi ## run every test (fuzz seed corpora included)
	$(GO) test -count=1 ./...

demo: build ## build the demo case from generated traffic with incidents in it, then serve the workbench
	./$(BIN) demo --cases $(CASES) --force
	./$(BIN) serve --cases $(CASES) --addr $(ADDR)

bench: build ## Go benchmarks, then end-to-end ingest of BENCH_RECORDS records against a bare DuckDB read_csv
	$(GO) test -run '^$$' -bench . -benchmem ./...
	BENCH_RECORDS=$(BENCH_RECORDS) ./bench/run.sh

clean: ## remove build output
	rm -rf bin
