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

## demo: build, then run the default study (studies/demo.yaml): which of four fashion-attributes
## tasks to train together, by TAG, gradient cosine, pairwise training and the exact ground truth;
## results and report.html in runs/demo (run again: nothing is retrained)
demo: build
	.build/release/mtk run studies/demo.yaml

## test: the whole test suite (debug build)
test: deps
	$(SWIFT) test

## bench: engine benchmarks, JSON lines
bench: build
	.build/release/mtk bench engine

clean:
	rm -rf .build
