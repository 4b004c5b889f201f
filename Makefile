# MultiTaskKit: `make demo` and `make test` are the two commands; both install what they need.
SWIFT ?= swift
PACKAGES := libopenblas-dev pkg-config zlib1g-dev dataset-fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build demo test bench clean

## deps: install the Debian packages the project needs, when missing
deps:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## build: release build of the library and the mtk command
build: deps
	$(SWIFT) build -c release

## demo: build, then train the reference CNN on the fashion-attributes suite (11 tasks) and print
## per-task test metrics; the run directory is runs/demo
demo: build
	.build/release/mtk train --suite fashion-attributes --model reference-cnn --epochs 2 --output runs/demo --overwrite

## test: the whole test suite (debug build)
test: deps
	$(SWIFT) test

## bench: engine benchmarks, JSON lines
bench: build
	.build/release/mtk bench engine

clean:
	rm -rf .build
