# Latchkey. `make run` serves the app; `make test` runs every test; `make check` the fast ones.
SHELL := /bin/bash
BIN := bin/latchkey
GO ?= go
FUZZTIME ?= 3s
TEMPL := $(GO) tool templ

.PHONY: run build generate check test test-postgres test-postgres-server test-e2e e2e-deps fuzz lint dev bench screenshots

## run: generate if needed, build, migrate and serve on the embedded SQLite default,
## in development (mail at /dev/mailbox; a bare binary is production)
run: export APP_ENV = development
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

## check: the fast inner loop — go vet and go test -short: unit and handler tests and the
## fuzz seeds; no browser, no real binary (e2e, loadtest skip), no bench, no fuzzing
check: generate
	$(GO) vet ./...
	$(GO) test -short ./...

## test: everything — unit, handler, fuzz (briefly), browser tests, with the race detector.
## The tests that run the real binary (e2e, loadtest) and bench share one build of it.
test: generate e2e-deps build
	$(GO) vet ./...
	env -u TEST_DATABASE_URL LATCHKEY_BINARY=$(CURDIR)/$(BIN) $(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory test-postgres
	LATCHKEY_BINARY=$(CURDIR)/$(BIN) $(GO) run ./bench -quick
	LATCHKEY_BINARY=$(CURDIR)/$(BIN) $(GO) run ./bench -quick -growth
	$(MAKE) --no-print-directory fuzz

## test-postgres: the suites that touch the database (db, accounts, handlers, mail, the operator
## commands, and scaletest's two instances of the real binary and its outage test, which
## stops and starts a PostgreSQL server of its own) again on the PostgreSQL at
## TEST_DATABASE_URL, each test in a schema of its own. Without TEST_DATABASE_URL it says so
## in one line and passes, except with CI=true, where a missing server is a failure.
PG_PACKAGES := ./db ./accounts ./handlers ./mail .
test-postgres: build
	@if [ -z "$$TEST_DATABASE_URL" ]; then \
		if [ "$$CI" = true ]; then \
			echo "PostgreSQL suite: TEST_DATABASE_URL is not set, and with CI=true that is a failure (.ci/run starts a server)"; exit 1; \
		fi; \
		echo "PostgreSQL suite skipped: TEST_DATABASE_URL is not set (make test-postgres-server starts a local server and runs it)"; \
	else \
		echo "PostgreSQL suite on $${TEST_DATABASE_URL%%\?*}"; \
		LATCHKEY_BINARY=$(CURDIR)/$(BIN) $(GO) test -race -count=1 $(PG_PACKAGES) && \
		LATCHKEY_BINARY=$(CURDIR)/$(BIN) $(GO) test -race -count=1 ./scaletest; \
	fi

## test-postgres-server: start a throwaway PostgreSQL of this clone (.ci/postgres: Debian's
## postgresql package, data in .pgdata/, a Unix socket), run test-postgres on it, stop it
test-postgres-server:
	@trap '.ci/postgres stop' EXIT; pg_env="$$(.ci/postgres start)" && eval "$$pg_env" && $(MAKE) --no-print-directory test-postgres

## test-e2e: only the browser tests (Chromium + axe-core; see e2e/doc.go)
test-e2e: generate e2e-deps
	$(GO) test -count=1 ./e2e

## screenshots: render every page (desktop and phone, light and dark) into docs/screenshots/
screenshots: generate e2e-deps
	mkdir -p docs/screenshots
	rm -f docs/screenshots/*.png
	SCREENSHOTS=1 $(GO) test -count=1 -run 'TestJourney$$|TestErrorPages|TestTooManyRequests|TestSettingsJourney|TestNotes|TestConfirmElsewhereAndSignUpByLink|TestProviderJourney|TestTwoFactorJourney|TestPasskeyJourney' ./e2e

# e2e-deps: axe-core from e2e/package-lock.json, installed once (CI runs npm ci itself).
e2e-deps:
	@if [ ! -f e2e/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then \
		cd e2e && npm ci --no-audit --no-fund; \
	fi

## fuzz: run each fuzz target for FUZZTIME (longer: make fuzz FUZZTIME=5m). Go's fuzzing
## engine now and then stops a worker on a busy machine without any failing input; such a
## run is tried once more, and a real failure (saved in testdata/fuzz) fails both times.
fuzz:
	@set -e; n=0; for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			out=$$(mktemp); \
			if ! $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg >$$out 2>&1; then \
				tail -20 $$out; echo "fuzz: $$f failed once; running it again (an input that failed is now in testdata/fuzz and is replayed first)"; \
				$(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || { rm -f $$out; echo "fuzz: $$n passed, 1 failed"; exit 1; }; \
			fi; rm -f $$out; \
			n=$$((n+1)); \
		done; \
	done; echo "fuzz: $$n passed, 0 failed"

## lint: go vet, staticcheck, gofmt, and generated templ files match their sources
# staticcheck 2026.2.2 (module v0.8.2) is built for Go 1.26 (go.mod go 1.26.0; it
# parses the 1.26 language); older releases only work while no 1.26 syntax is used.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './node_modules/*' -not -path './e2e/node_modules/*' -not -path './tmp/*')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@sums() { find . -name '*_templ.go' -not -path './node_modules/*' -not -path './tmp/*' | sort | xargs -r sha256sum; }; \
		before=$$(sums); $(TEMPL) generate >/dev/null 2>&1 || { $(TEMPL) generate; exit 1; }; after=$$(sums); \
		if [ "$$before" != "$$after" ]; then \
			echo "generated templ files did not match their sources (now regenerated; commit them):"; \
			diff <(echo "$$before") <(echo "$$after") | grep '^>' | awk '{print "  " $$3}'; exit 1; \
		fi
	@echo "lint: clean"

## dev: rebuild and restart on change (air), regenerating templ files, in development
dev: export APP_ENV = development
dev:
	$(GO) run github.com/air-verse/air@v1.67.4 -c .air.toml

## bench: load benchmark of the binary against in-run baselines (docs/PERFORMANCE.md), then micro-benchmarks;
## go run ./bench -growth draws how the cost grows (docs/growth-*.svg)
# The micro-benchmarks run even when a load target fails; make still exits 1.
bench:
	@status=0; \
	$(GO) run ./bench || status=$$?; \
	$(GO) test -run='^$$' -bench=. -benchmem ./auth ./views ./handlers || status=$$?; \
	exit $$status
