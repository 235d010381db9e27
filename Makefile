# mashup: `make demo` runs the quickstart on the embedded synthetic data set, `make test` the tests.
SWIFT ?= swift
# The Debian packages the build links against (system-library targets in Package.swift) and
# the font the plots use.
DEB_PACKAGES := pkg-config liblua5.4-dev libsndfile1-dev libfftw3-dev libopenblas-dev \
	libsoxr-dev libcairo2-dev libedit-dev fonts-dejavu-core \
	libopenmpi-dev openmpi-bin
RELEASE_BIN := .build/release

.PHONY: deps build test fuzz lint demo bench weights clean

# Installs the packages that are missing; a no-op when all are present. Works as root or
# through sudo, and runs apt-get update only when something must be installed.
deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  echo "make deps: installing$$missing"; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product mashup

test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) fuzz

# Crafted files and bad arguments for every binding, under the release build users run.
fuzz: build
	tools/fuzz.sh

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Benchmarks Package.swift

demo: build
	$(RELEASE_BIN)/mashup run scripts/quickstart.lua

# musicnn's pretrained networks (issue 15): the `musicnn` wheel from PyPI, fetched with pip and
# converted to safetensors in data/weights by mashup's own checkpoint reader (no TensorFlow).
# Nothing of them is committed.
weights: build
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="python3 python3-pip"
	$(RELEASE_BIN)/mashup weights

bench: deps
	$(SWIFT) build -c release --product mashup
	$(SWIFT) build -c release --product MashupBench
	tools/bench.sh

clean:
	rm -rf .build
