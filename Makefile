# apiguard — see README.md. Every target runs on a machine with only Go installed.
SHELL := /bin/bash
GO ?= go
WASM := build/apiguard.wasm
WASM_ENV := GOOS=wasip1 GOARCH=wasm
# -trimpath keeps build paths out of the module; symbols stay so that a trap
# in Envoy's log names the Go function.
WASM_FLAGS := -buildmode=c-shared -trimpath
# The release version lives in filter/version/version.go (one place); the
# revision is the short commit, "unknown" outside git. Both are stamped into
# the module and the apiguard command.
VERSION ?= $(shell sed -n 's/^var Version = "\(.*\)"$$/\1/p' filter/version/version.go)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
VERSION_PKG := github.com/apiguard/apiguard/filter/version
LDFLAGS := -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Revision=$(REVISION)
APIGUARD := $(GO) run -ldflags "$(LDFLAGS)" ./envoy/cmd/apiguard
TEST_TIMEOUT ?= 9m
FUZZTIME ?= 30s
BENCHTIME ?= 1s

.PHONY: all build release demo proxy test race test-short bench bench-goals bench-wasm bench-v8 bench-v8-requests fuzz e2e check fmt vet tidy clean fresh-clone lint mutation

all: build

build: $(WASM)

# Rebuild whenever any Go file or the module files change. After a build,
# the stamp build/apiguard.wasm.sources records a content hash of these
# sources and the module's SHA-256 (e2e/buildstamp); the e2e suite refuses
# a module whose stamp does not match, so its wasm half never tests stale
# code. File times decide most rebuilds; a module without a matching stamp
# (built by hand, or sources restored with old times) is rebuilt as well:
# the check is expanded only when the module is a goal.
.SECONDEXPANSION:
WASM_STAMP_STALE = $(shell $(GO) run ./e2e/cmd/buildstamp -check -wasm $(WASM) >/dev/null 2>&1 || echo FORCE)
$(WASM): go.mod go.sum $(shell find filter -name '*.go' -not -name '*_test.go' 2>/dev/null) $$(WASM_STAMP_STALE)
	@mkdir -p build
	$(WASM_ENV) $(GO) build $(WASM_FLAGS) -ldflags "$(LDFLAGS)" -o $@ ./filter
	@$(GO) run ./e2e/cmd/buildstamp -write -wasm $@
	@ls -l $@ | awk '{print "built " $$9 " (" $$5 " bytes)"}'

.PHONY: FORCE
FORCE:

# Builds the module, then runs it for real in the local proxy (wazero host) in
# front of a demo upstream and sends a handful of requests through it.
demo: build
	@echo "make demo: building the apiguard command and starting it (the first time, Go compiles it for a minute or two)"
	$(APIGUARD) demo -wasm $(WASM) -config envoy/apiguard.demo.json

# The local proxy for your own upstream: make proxy UPSTREAM=127.0.0.1:8080 CONFIG=my.json
proxy: build
	$(APIGUARD) proxy -wasm $(WASM) -config $(CONFIG) $(if $(UPSTREAM),-upstream $(UPSTREAM)) -listen 127.0.0.1:10000 $(if $(METRICS),-metrics $(METRICS))

# Every test: native, against the compiled .wasm in the wazero host, and the
# Envoy docker tests (which skip with one line where no Docker engine runs).
# test-deps first installs what the tests need beyond Go (redis-server, for
# the global rate-limit integration test), as root or with passwordless sudo;
# it is quiet when everything is there. Every benchmark runs once as well
# (-benchtime 1x, about 15 s): benchmarks check what they measure (statuses,
# bodies, refusals), so one that no longer starts fails here, not in make bench.
# The V8 request benchmarks then time 50 requests per kind instead of 2,000.
.PHONY: test-deps
test-deps:
	@bash e2e/test-deps.sh

test: build test-deps
	APIGUARD_V8_ITERATIONS=50 $(GO) test -timeout $(TEST_TIMEOUT) -count=1 -bench . -benchtime 1x ./...

# The native tests under the race detector (the .wasm runs too, slower):
# the emulator, the local proxy and the plugin's host-facing code are
# concurrent Go. Not part of make test, to keep it quick.
race: build
	$(GO) test -race -timeout 20m -count=1 ./...

# The README's promise: a clone of the committed HEAD in an empty temporary
# directory, with nothing beside it, passes `make demo` and `make test`
# (CI runs this; see e2e/fresh-clone.sh).
fresh-clone:
	@bash e2e/fresh-clone.sh demo test release

test-short: build
	$(GO) test -short -timeout $(TEST_TIMEOUT) ./...

bench: bench-goals
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

# Issue 15's table in one run (docs/performance.md "Goals"):
# BenchmarkAuthn_hostSignatureGoals and BenchmarkGoals_table time every part in the benchmark
# thread's CPU time, interleaved, and report ratios; this prints them with
# their goals. GOALS_COUNT runs repeat it (read the median).
GOALS_BENCHTIME ?= 2s
GOALS_COUNT ?= 1
bench-goals: build
	@mkdir -p build
	$(GO) test -run '^$$' -bench '^Benchmark(Authn_hostSignatureGoals|Goals_table)$$' -benchtime $(GOALS_BENCHTIME) -count $(GOALS_COUNT) ./e2e > build/bench-goals.txt || { cat build/bench-goals.txt; exit 1; }
	@awk '/^Benchmark(Authn_hostSignatureGoals\/wasm|Goals_table)-/ { for (i = 3; i < NF; i += 2) v[$$(i+1)] = v[$$(i+1)] " " $$i } \
	  function row(what, key, goal) { printf "%-58s %-24s %s\n", what, v[key], goal } \
	  END { printf "%-58s %-24s %s\n", "through the .wasm (CPU time; one value per run)", "measured", "goal"; \
	    row("fresh RS256: (request - pass-through) / native verify", "rs256-auth/bare", "<= 1.5"); \
	    row("fresh ES256: (request - pass-through) / native verify", "es256-auth/bare", "<= 1.5"); \
	    row("cached token / pass-through", "cached/pass", "<= 1.5"); \
	    row("64 KiB JSON validation, wasm / native", "json64k-wasm/native", "<= 3"); \
	    row("64 KiB redaction (5 paths, 5 keys), wasm / native", "redact64k-wasm/native", "<= 3"); \
	    row("pass-through, wasm / native", "pass-wasm/native", "<= 4"); \
	    row("module size (MB)", "module-MB", "no regression"); \
	    row("VM start: _initialize + vm_start + configure (ms CPU)", "vm-start-ms", "no regression"); \
	    row("linear memory after 10,000 mixed requests (MB)", "memory-MB", "no regression") }' build/bench-goals.txt

# The policy packages' own benchmarks compiled to wasm and run on wazero, so
# the cost of Go's wasm code generation is visible per package (make bench
# shows whole requests through the module in the emulator). e2e/cmd/wasmbench
# runs them with the guest's clock reading the thread's CPU time (on Linux),
# so ns/op is work done even on a loaded machine. BENCH_WASM selects
# benchmarks (a -test.bench pattern), BENCH_COUNT repeats them.
BENCH_WASM_PKGS ?= ./filter/jwt ./filter/jsonx ./filter/redact ./filter/reqcheck ./filter/ratelimit ./filter/schema
BENCH_WASM ?= .
BENCH_COUNT ?= 1
bench-wasm:
	@mkdir -p build/benchwasm
	$(GO) build -o build/benchwasm/wasmbench ./e2e/cmd/wasmbench
	@set -e; for pkg in $(BENCH_WASM_PKGS); do \
	  name=$$(basename $$pkg); \
	  $(WASM_ENV) $(GO) test -c -o build/benchwasm/$$name.wasm $$pkg; \
	  echo "== $$pkg (wasm)"; \
	  (cd $$pkg && ../../build/benchwasm/wasmbench ../../build/benchwasm/$$name.wasm \
	    -test.run '^$$' -test.bench '$(BENCH_WASM)' -test.benchmem -test.benchtime $(BENCHTIME) -test.count $(BENCH_COUNT)); \
	done

# The same benchmarks natively, on wazero and on V8 (Node.js's, the engine
# Envoy embeds), in one run and one table: median ns/op per engine and its
# ratio to native (e2e/cmd/benchtable). BENCH_V8 lists package:pattern pairs;
# the default is the work of issue 15's JSON and signature rows and of
# issue 16's schema ratio. Needs node on PATH (measured with Node 20); without it the
# target says so and stops. BENCH_COUNT repeats each run (medians), the
# engines taking turns, so that load from elsewhere falls on all three.
BENCH_V8 ?= ./filter/jsonx:Validate_64K$$ ./filter/redact:Redact_64K$$ ./filter/schema:(jsonOnly|request|response)64K$$ ./filter/jwt:Verify_perAlgorithm/(RS256|ES256|EdDSA)/bare$$
bench-v8:
	@command -v node >/dev/null || { echo "make bench-v8: node (Node.js) is not on PATH; apt-get install nodejs"; exit 1; }
	@mkdir -p build/benchwasm
	$(GO) build -o build/benchwasm/wasmbench ./e2e/cmd/wasmbench
	$(GO) build -o build/benchwasm/benchtable ./e2e/cmd/benchtable
	@bash e2e/v8bench/bench.sh '$(BENCHTIME)' '$(BENCH_COUNT)' $(foreach x,$(BENCH_V8),'$(x)')

# Whole requests through build/apiguard.wasm on V8 (e2e/v8bench/proxyhost.mjs,
# docs/performance.md "On V8"): per-request medians of pass-through, cached
# and fresh tokens, one line per run (BENCH_COUNT runs).
bench-v8-requests: build
	@command -v node >/dev/null || { echo "make bench-v8-requests: node (Node.js) is not on PATH; apt-get install nodejs"; exit 1; }
	$(GO) test -run '^$$' -bench '^BenchmarkV8Host_(requests|bodies)$$' -benchtime 1x -count $(BENCH_COUNT) ./e2e

# Fuzzes every fuzz target for FUZZTIME each (their seeds already run in make
# test). A real finding (a failing input written to testdata/fuzz) fails the
# run after every target had its turn. A bare "context deadline exceeded" at
# the FUZZTIME boundary with no failing input is Go's own coordinator race
# (golang/go#75804, fixed in Go 1.27): it is reported, not counted.
fuzz:
	@mkdir -p build; failed=""; \
	for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$f"; \
	    if $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg > build/fuzz.log 2>&1; then \
	      tail -n 1 build/fuzz.log; \
	    elif grep -q 'context deadline exceeded' build/fuzz.log && ! grep -q 'Failing input written' build/fuzz.log; then \
	      echo "   no failing input: Go's fuzztime shutdown race (golang/go#75804), not a finding"; \
	    else \
	      cat build/fuzz.log; failed="$$failed $$f"; \
	    fi; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in:$$failed"; exit 1; fi

# Mutation testing of the security core (docs/mutation.md): gremlins,
# pinned, from the module proxy into build/, mutates each package's code
# and runs the package's tests against every mutant. It prints the
# surviving (LIVED), timed-out and uncovered mutants of each package, then
# e2e/mutation/report.sh's table (build/mutation/summary.txt): the score
# counts timed-out mutants as detected and leaves out the survivors
# docs/mutation-equivalent.tsv documents as equivalent, and every other
# survivor is listed, to kill with a test or document. Slow (an hour or
# more on two cores): not part of make test. MUTATION_PKGS=jwt limits the
# run to some packages, MUTATION_EXCLUDE='^jwks\.go$$' leaves files out (a
# regexp on file names within each package); MUTATION_WORKERS and
# MUTATION_TIMEOUT_COEFFICIENT (gremlins' test timeout, a multiple of the
# time of the package's coverage run) suit a busy machine. GOFLAGS=-count=1
# keeps that coverage run out of the test cache: a cached run takes a
# second or two, and every mutant would then time out. -failfast stops a
# mutant's tests at the first failure (a killed mutant stays killed, only
# sooner). MUTATION_GOFLAGS replaces both, e.g. with -skip=TestWycheproof
# added for the jwt files the Wycheproof vectors do not reach
# (docs/mutation.md "Running it"). MUTATION_DIFF=main mutates only the
# lines changed since that commit or branch (gremlins --diff): the habit
# for a change, before it merges.
# filter/authn (credential extraction and removal, verification, owner
# checks) and filter/schema (the JSON Schema validator) are security core;
# filter/plugin is glue and is not mutated.
GREMLINS_VERSION := v0.6.0
GREMLINS := build/gremlins/$(GREMLINS_VERSION)/gremlins
MUTATION_PKGS ?= jwt apikey claims reqcheck redact ratelimit authn schema
MUTATION_WORKERS ?= 2
MUTATION_TIMEOUT_COEFFICIENT ?= 5
MUTATION_EXCLUDE ?=
MUTATION_DIFF ?=
# -skip=TestScanAll_generatedFromScan: that test compares jsonx's
# generated scanall.go with scan's source, so it would kill every mutant of
# scan without saying whether a behaviour test would.
MUTATION_GOFLAGS ?= -count=1 -failfast -skip=TestScanAll_generatedFromScan

$(GREMLINS):
	GOBIN=$(CURDIR)/$(dir $@) $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)

# gremlins v0.6.0 runs `git diff --merge-base REF` at the module's root
# and matches the repository-relative names it prints against names
# relative to the package it walks, so --diff alone skips every mutant: a
# `git` first on its PATH adds --relative=filter/<pkg>/ to `git diff`.
mutation: $(GREMLINS)
	@mkdir -p build/mutation build/gremlins/diffgit; \
	printf '#!/bin/sh\nif [ "$$1" = diff ]; then shift; exec %s diff --relative="$$MUTATION_PKG_DIR" "$$@"; fi\nexec %s "$$@"\n' "$$(command -v git)" "$$(command -v git)" > build/gremlins/diffgit/git; \
	chmod +x build/gremlins/diffgit/git; \
	for p in $(MUTATION_PKGS); do \
	  excl=(); if [ -n '$(MUTATION_EXCLUDE)' ]; then excl+=(-E '$(MUTATION_EXCLUDE)'); fi; \
	  gitpath=; if [ -n '$(MUTATION_DIFF)' ]; then excl+=(-D '$(MUTATION_DIFF)'); gitpath=$(CURDIR)/build/gremlins/diffgit:; fi; \
	  echo "== filter/$$p"; \
	  MUTATION_PKG_DIR=filter/$$p/ PATH="$$gitpath$$PATH" GOFLAGS='$(MUTATION_GOFLAGS)' $(GREMLINS) unleash --workers $(MUTATION_WORKERS) --timeout-coefficient $(MUTATION_TIMEOUT_COEFFICIENT) \
	    -S lct -o build/mutation/$$p.json "$${excl[@]}" filter/$$p 2>&1 | tee build/mutation/$$p.log | grep -E 'LIVED|NOT COVERED|TIMED OUT|^Killed|^Timed|efficacy'; \
	done; \
	bash e2e/mutation/report.sh $(MUTATION_PKGS) 2>&1 | tee build/mutation/summary.txt

# Envoy in docker compose (e2e/docker-compose.yaml; needs a Docker engine; docs/operating.md "End-to-end tests in Envoy").
e2e: build
	APIGUARD_E2E_DOCKER=1 $(GO) test -timeout 20m -count=1 -v -run 'TestDocker' ./e2e/docker/...

check: fmt vet tidy lint

# staticcheck at a pinned version, installed into build/bin from the Go
# module proxy, run natively and for the wasm target (GOOS=wasip1 sees the
# ABI shim's files, which a native run does not).
STATICCHECK_VERSION := v0.8.2
STATICCHECK := build/bin/staticcheck-$(STATICCHECK_VERSION)
$(STATICCHECK):
	@mkdir -p build/bin
	GOBIN=$(CURDIR)/build/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@mv build/bin/staticcheck $@

lint: $(STATICCHECK)
	$(STATICCHECK) ./...
	$(WASM_ENV) $(STATICCHECK) ./filter/...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go') $$(git ls-files --others --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(WASM_ENV) $(GO) vet ./filter/...

tidy:
	@cp go.mod /tmp/apiguard.go.mod.bak; cp go.sum /tmp/apiguard.go.sum.bak
	@$(GO) mod tidy
	@if ! cmp -s go.mod /tmp/apiguard.go.mod.bak || ! cmp -s go.sum /tmp/apiguard.go.sum.bak; then \
	  echo "go mod tidy changed go.mod/go.sum; commit the result"; exit 1; fi

clean:
	rm -rf build

# The OCI Wasm image without a Docker daemon: both variants (Istio compat and
# OCI artifact) as an OCI image layout in build/image. PUSH=registry/repo:tag
# also pushes the compat variant, PUSH_OCI=... the artifact variant;
# INSECURE=1 for a plain-HTTP registry.
.PHONY: image
image: build
	$(APIGUARD) image -wasm $(WASM) -out build/image \
	  $(if $(PUSH),-push $(PUSH)) $(if $(PUSH_OCI),-push-oci $(PUSH_OCI)) $(if $(INSECURE),-insecure)

# A release in one step: the module rebuilt and stamped with VERSION and REVISION (commit first), its
# SHA-256 (`cd build && sha256sum -c apiguard.wasm.sha256`), the OCI image
# layout in build/image (annotated with the same version and revision), and
# the apiguard command for this machine in build/bin.
release:
	@mkdir -p build
	$(WASM_ENV) $(GO) build $(WASM_FLAGS) -ldflags "$(LDFLAGS)" -o $(WASM) ./filter
	@$(GO) run ./e2e/cmd/buildstamp -write -wasm $(WASM)
	cd build && sha256sum apiguard.wasm > apiguard.wasm.sha256
	$(APIGUARD) image -wasm $(WASM) -out build/image -version $(VERSION) -revision $(REVISION)
	$(GO) build -ldflags "$(LDFLAGS)" -o build/bin/apiguard ./envoy/cmd/apiguard
	@cat build/apiguard.wasm.sha256
