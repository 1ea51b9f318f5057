# Latchkey. `make run` serves the app; `make test` runs every test.
SHELL := /bin/bash
BIN := bin/latchkey
GO ?= go
FUZZTIME ?= 3s
TEMPL := $(GO) tool templ

.PHONY: run build generate test test-unit test-e2e e2e-deps fuzz lint dev bench screenshots clean

## run: generate if needed, build, migrate and serve on the embedded SQLite default
run: build
	./$(BIN) migrate
	./$(BIN) serve

## build: one binary with migrations, templates and static files inside
build: generate
	$(GO) build -o $(BIN) .

## generate: templ → *_templ.go (only when a .templ is newer than its output)
generate:
	@for t in $$(find . -name '*.templ' -not -path './node_modules/*'); do \
		g="$${t%.templ}_templ.go"; \
		if [ ! -f "$$g" ] || [ "$$t" -nt "$$g" ]; then $(TEMPL) generate >/dev/null && break; fi; \
	done

## test: everything — unit, handler, fuzz (briefly), browser tests, with the race detector
test: generate e2e-deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz

## test-e2e: only the browser tests (Chromium + axe-core; see e2e/doc.go)
test-e2e: generate e2e-deps
	$(GO) test -count=1 ./e2e

## screenshots: render every page (desktop and phone, light and dark) into docs/screenshots/
screenshots: generate e2e-deps
	mkdir -p docs/screenshots
	rm -f docs/screenshots/*.png
	SCREENSHOTS=1 $(GO) test -count=1 -run 'TestJourney$$|TestErrorPages|TestTooManyRequests' ./e2e

# e2e-deps: axe-core from e2e/package-lock.json, installed once (CI runs npm ci itself).
e2e-deps:
	@if [ ! -f e2e/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then \
		cd e2e && npm ci --no-audit --no-fund; \
	fi

## fuzz: run each fuzz target for FUZZTIME (longer: make fuzz FUZZTIME=5m)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg >/dev/null || { $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; exit 1; }; \
		done; \
	done

## lint: go vet, staticcheck, gofmt, and generated templ files match their sources
lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$'); echo "gofmt needed"; exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 ./...
	$(TEMPL) generate >/dev/null
	@git diff --exit-code -- '*_templ.go' || { echo "generated templ files differ from their sources: run make generate and commit"; exit 1; }

## dev: rebuild and restart on change (air), regenerating templ files
dev:
	$(GO) run github.com/air-verse/air@v1.61.7 -c .air.toml

## bench: load benchmark against the real binary (placeholder until the performance work lands)
bench:
	@echo "make bench: the load benchmark is not written yet; running micro-benchmarks"
	$(GO) test -run='^$$' -bench=. -benchmem ./...

clean:
	rm -rf bin
