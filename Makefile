# spotwatch — build, test, benchmark. `make help` lists the targets.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/spotwatch/spotwatch/monitor.Version=$(VERSION)

.PHONY: help build check test lab deps lint cross

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build ./spotwatch for this machine
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o spotwatch ./cmd/spotwatch

deps: ## install the Debian packages the tests need (root or sudo)
	./scripts/install-deps.sh

test: deps ## run the whole test suite (unit, loopback integration, network lab) with -race
	$(GO) test -race -count=1 ./...

lab: deps ## run only the network-namespace lab (root)
	$(GO) test -count=1 -run Lab ./...

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

cross: ## cross-build for Windows and macOS (no cgo)
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./...
	CGO_ENABLED=0 GOOS=windows GOARCH=arm64 $(GO) build -o /dev/null ./...
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./...
	CGO_ENABLED=0 GOOS=windows $(GO) vet ./...
	CGO_ENABLED=0 GOOS=darwin $(GO) vet ./...
