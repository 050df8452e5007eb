# Baton's build. `make dev` runs the example end to end; `make test` runs what CI runs.
# Everything but redis-server comes from Go modules; redis-server is installed with apt when it
# is missing.

GO       ?= go
BIN      ?= bin/baton
FUZZTIME ?= 10s
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build dev test fuzz bench lint deps clean

all: build

## deps: install redis-server with apt when it is not on PATH, Node.js with apt when it is
## missing, and the Node.js external worker example's packages (npm ci)
deps:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "redis-server not found; installing it with apt-get"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server >/dev/null; }
	@command -v redis-server >/dev/null 2>&1 || { echo "redis-server is still missing"; exit 1; }
	@command -v node >/dev/null 2>&1 || { \
		echo "node not found; installing nodejs and npm with apt-get"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
	@test -d examples/external/node_modules/nats || (cd examples/external && npm ci --no-audit --no-fund --silent)

## build: build the baton binary into bin/
build:
	$(GO) build -o $(BIN) ./cmd/baton

## dev: run `baton dev`: embedded NATS, Redis, and 1,000 instances of the order example
dev: deps build
	./$(BIN) dev

## test: lint, every test against real NATS and Redis, and a bounded fuzz run of the parser
test: deps lint
	$(GO) test -race -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory fuzz

## fuzz: fuzz the BPMN parser and the subject encoding for FUZZTIME each
fuzz:
	$(GO) test ./engine/bpmn -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s
	$(GO) test ./queue -run '^$$' -fuzz '^FuzzEncodeToken$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s

## bench: continuation throughput, hop latency, Redis round trips, and the raw floor
bench: deps build
	./$(BIN) bench

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
