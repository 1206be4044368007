# hopcheck — build, test, demo. Every target works offline once the Go
# modules are in the module cache (go mod download).
GO       ?= go
BIN      ?= bin/hopcheck
FUZZTIME ?= 30s

.PHONY: build test deps demo fuzz bench lint golden clean

build:
	$(GO) build -o $(BIN) ./cmd/hopcheck

# The tools some tests need beyond Go, from Debian's packages: chromium (the
# HTML reports are checked in a real headless browser) and promtool (the
# Prometheus alert rules are unit-tested). Tests that need one skip with a
# clear message when it is absent outside CI; .ci/run installs both.
deps:
	@if command -v chromium >/dev/null && command -v promtool >/dev/null; then :; else \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium prometheus; \
	fi

# What CI runs (.ci/run): formatting, vet, and every test with the race detector.
test: lint
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Rewrite every golden file from the current output (the one switch all
# golden tests share); review the diff before committing it.
golden:
	HOPCHECK_UPDATE=1 $(GO) test -count=1 ./...

# The bundled demo: a message whose outbound relay has a generic PTR,
# judged against a zone file of that world (no network). Exit code 1 means
# "misalignment found", which is what the demo shows.
demo: build
	@$(BIN) analyze --zone testdata/demo/world.zone testdata/demo/message.eml; \
	  rc=$$?; [ $$rc -eq 1 ] || { echo "demo: unexpected exit code $$rc"; exit 1; }

# Each fuzz target for FUZZTIME (go test -fuzz runs one target at a time).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# One package at a time: parallel test binaries would share the cores.
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
