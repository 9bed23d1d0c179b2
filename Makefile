# The two commands of the README's quickstart are `make up` and `make test`;
# .ci/run calls `make test`, so CI runs exactly what a developer runs.
GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# python3-flasgger ships Swagger UI's assets: the example serves /docs from
# them, so the docs page loads on a machine without internet access.
EXAMPLE_PKGS  := python3-fastapi python3-uvicorn python3-flasgger
TEST_PKGS     := $(EXAMPLE_PKGS) python3-httpx python3-boto3 chromium

# Every protocol decoder and the whole API path are fuzzed briefly on each
# test run (go test -fuzz takes one target per run): package:target.
FUZZ_TARGETS  := ./internal/localcloud/protocol/awsjson:FuzzDecode \
                 ./internal/localcloud/protocol/cbor:FuzzDecode \
                 ./internal/localcloud/protocol/query:FuzzDecodeForm \
                 ./internal/localcloud/model:FuzzValidate \
                 ./internal/localcloud/apifuzz:FuzzAPI
# A count, not a duration: Go 1.26's fuzz coordinator can report its own
# -fuzztime deadline as a failure ("context deadline exceeded", no input
# written; golang/go#75804, fixed in Go 1.27). 100,000 inputs take 4-15 s
# per target on the 2-core CI machine.
FUZZTIME      ?= 100000x

.PHONY: up test lint fuzz build bench bench-alb bench-alb-tls bench-rolling

# Run the FastAPI example on the local cloud: the OS packages the example
# needs are installed first when they are missing.
up:
	scripts/ensure-packages $(EXAMPLE_PKGS)
	$(GO) run ./cmd/berth up -f examples/fastapi/berth.yaml

# Everything CI checks: formatting, vet, staticcheck, then every test.
test: lint
	scripts/ensure-packages $(TEST_PKGS)
	$(GO) test -race -timeout 30m ./...
	cd examples/fastapi && /usr/bin/python3 -m unittest -v test_main
	$(MAKE) fuzz

fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $$t, -fuzztime $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) $${t%%:*} || exit 1; \
	done

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

build:
	$(GO) build -o bin/berth ./cmd/berth

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# berth's load balancer beside HAProxy and straight to a backend (wrk), and
# its control plane beside moto_server; installs haproxy and wrk if missing.
bench-alb:
	$(GO) run ./bench/alb

# TLS termination: berth's HTTPS listener beside HAProxy with the same ACM
# certificate and key, new handshakes and HTTPS requests per second, for
# each key algorithm ACM issues by default or on request.
bench-alb-tls:
	$(GO) run ./bench/alb -tls

# A rolling deploy of the example under load on the local cloud, with
# berth's defaults and with AWS's (that run takes about ten minutes).
bench-rolling:
	scripts/ensure-packages $(EXAMPLE_PKGS)
	$(GO) run ./bench/rolling
