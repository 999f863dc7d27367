# spotwatch — build, test, benchmark. `make help` lists the targets.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/spotwatch/spotwatch/internal/version.Version=$(VERSION)

.PHONY: help build check test lab deps lint cross bench wine-test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build ./spotwatch for this machine
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o spotwatch ./cmd/spotwatch

deps: ## install the Debian packages the tests need (root or sudo)
	./scripts/install-deps.sh

test: deps ## run the whole test suite (unit, loopback integration, network lab) with -race
	$(GO) test -race -count=1 -timeout 40m ./...

lab: deps ## run only the network-namespace lab (root)
	$(GO) test -count=1 -run Lab ./...

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# -trimpath as in the release builds, so that `make release-check` after `make cross` (as in CI)
# finds the Windows packages already compiled in the build cache and only links.
cross: ## cross-build for Windows and macOS (no cgo)
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -o /dev/null ./...
	CGO_ENABLED=0 GOOS=windows GOARCH=arm64 $(GO) build -trimpath -o /dev/null ./...
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) build -trimpath -o /dev/null ./...
	CGO_ENABLED=0 GOOS=darwin GOARCH=amd64 $(GO) build -trimpath -o /dev/null ./...
	CGO_ENABLED=0 GOOS=windows $(GO) vet ./...
	CGO_ENABLED=0 GOOS=darwin $(GO) vet ./...

wine-test: ## run the Windows (amd64) tests that pass under wine 8, offline (scripts/wine/README.md)
	./scripts/wine/install.sh
	GO=$(GO) ./scripts/wine/go-test-windows.sh ./internal/safetext ./tray/icons ./internal/failure ./internal/testutil ./internal/netstate ./internal/config ./internal/logfile ./internal/history ./svc ./internal/winfw ./internal/boundedread ./internal/appconn ./internal/apptrigger -- -count=1
	GO=$(GO) ./scripts/wine/go-test-windows.sh ./monitor/diagnosis -- -count=1 -run 'TestClassify|TestFix|TestCauseTable|TestProductTable'
	GO=$(GO) ./scripts/wine/go-test-windows.sh ./monitor/probe -- -count=1 -run 'TestScanHosts|TestProxyFromPrefsAndEnv|TestEnvProxyFunc|TestGatherFactsRedacts|SysProxy|WinINET|TestDialVia|TestWindowsSuitesFromCache'

# Release builds (issues 6, 21): `make release` for Linux, Windows and macOS, all without cgo.
DIST       ?= dist
# The release tools are built once (`go install`) into TOOLBIN, one directory per version, and
# reused. Building goreleaser (hundreds of modules) is most of `make release-check` on a fresh
# machine; TOOLBIN is one small directory a CI cache can keep (unlike the whole GOCACHE).
TOOLBIN    ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/spotwatch/tools
GOWINRES_VERSION   := v0.3.3
GORELEASER_VERSION := v2.16.0
GOWINRES   := $(TOOLBIN)/go-winres@$(GOWINRES_VERSION)/go-winres
GORELEASER := $(TOOLBIN)/goreleaser@$(GORELEASER_VERSION)/goreleaser
# The Windows version resource wants numbers: 1.2.3 from v1.2.3-4-gabcdef, else 0.0.0.
WINVER     := $(or $(shell echo '$(VERSION)' | sed -nE 's/^v?([0-9]+(\.[0-9]+){1,3})([-+].*)?$$/\1/p'),0.0.0)
RELEASE_TARGETS := linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64

.PHONY: release winres darwin release-check tools

tools: $(GOWINRES) $(GORELEASER) ## build the release tools (go-winres, goreleaser) into TOOLBIN once

$(GOWINRES):
	GOBIN=$(@D) $(GO) install github.com/tc-hib/go-winres@$(GOWINRES_VERSION)
$(GORELEASER):
	GOBIN=$(@D) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

release: ## release binaries in dist/ for linux, windows and darwin on amd64 and arm64 (Windows: icon and version resource)
	@set -e; trap 'rm -f cmd/spotwatch/rsrc_windows_*.syso' EXIT; \
	$(MAKE) --no-print-directory winres; mkdir -p $(DIST); \
	for t in $(RELEASE_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		out=$(DIST)/spotwatch_$(VERSION)_$${os}_$${arch}$$ext; echo "  $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$out ./cmd/spotwatch; \
	done; \
	strings -el $(DIST)/spotwatch_$(VERSION)_windows_amd64.exe | grep -qx 'spotwatch: Spotify connection diagnosis' || \
		{ echo "the Windows binary lacks its version resource"; exit 1; }

winres: $(GOWINRES) ## write the Windows icon and version resource (cmd/spotwatch/rsrc_windows_*.syso) for go build
	$(GOWINRES) simply --arch amd64,arm64 --out cmd/spotwatch/rsrc --icon tray/icons/ico/ok.ico --manifest cli \
		--product-version $(WINVER) --file-version $(WINVER) --product-name spotwatch \
		--file-description 'spotwatch: Spotify connection diagnosis' --original-filename spotwatch.exe \
		--copyright 'spotwatch authors'

darwin: ## on a Mac with the Xcode command line tools: a universal macOS binary built with cgo (its tray is fyne.io/systray's)
	@test "$$(uname -s)" = Darwin || { echo "make darwin runs on macOS (lipo, cgo); make release cross-builds the macOS binaries without cgo"; exit 1; }
	mkdir -p $(DIST)
	CGO_ENABLED=1 GOOS=darwin GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/spotwatch_darwin_arm64 ./cmd/spotwatch
	CGO_ENABLED=1 GOOS=darwin GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/spotwatch_darwin_amd64 ./cmd/spotwatch
	lipo -create -output $(DIST)/spotwatch_$(VERSION)_darwin_universal $(DIST)/spotwatch_darwin_arm64 $(DIST)/spotwatch_darwin_amd64
	rm $(DIST)/spotwatch_darwin_arm64 $(DIST)/spotwatch_darwin_amd64

release-check: $(GORELEASER) $(GOWINRES) ## goreleaser check, a snapshot release (archives, .deb, .rpm) and a check of what the packages install
	$(GORELEASER) check
	@set -e; trap 'rm -f cmd/spotwatch/rsrc_windows_*.syso' EXIT; \
	$(GORELEASER) release --snapshot --clean --skip=publish,sign,announce,validate
	./packaging/check-packages.sh $(DIST)

bench: deps ## reproduce README "Performance" (IDLE=1m for a quick idle-daemon figure)
	./bench/run.sh
