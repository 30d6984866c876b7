# Everything starts here; each target installs what it needs first (scripts/install-deps.sh is a
# no-op when nothing is missing).
#   make demo   build, then run the plugin on a simulated DGX A100 against the kubelet emulator
#   make test   build, run every test, then again under ASan+UBSan, the threaded parts under
#               TSan, and a one-minute fuzz smoke
#   make fuzz   every fuzz target for FUZZ_SECONDS (default 60) each, clang + ASan + UBSan
#   make lint   clang-tidy's bug-finding checks (.clang-tidy) over the project's sources
#   make bench  benchmarks, with a report
#   make image  the container images (runtime, compat, fips, dev) as OCI archives with SBOMs in
#               build/image/
.PHONY: all deps build test test-release test-asan test-tsan fuzz fuzz-smoke lint demo bench image format clean gpu-check-bundle

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release

test: test-release test-asan test-tsan fuzz-smoke

test-release: build
	ctest --preset release

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	ctest --preset asan

test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan
	ctest --preset tsan

lint: build
	@scripts/lint.sh

FUZZ_SECONDS ?= 60
fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# Seven targets for 8 s each: new crashes in a minute, on every make test.
fuzz-smoke: deps
	@scripts/fuzz.sh 8

demo: build
	@scripts/demo.sh

bench: build
	@bench/run.sh

image: build
	@scripts/build-image.sh

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

# build/glibc: this build's glibc, for scripts/gpu-check.sh on machines with an older one.
gpu-check-bundle: build
	@mkdir -p build/glibc
	@for lib in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1; do \
	  cp -L /lib/x86_64-linux-gnu/$$lib build/glibc/; done
	@echo "carry build/bin build/sim-root build/glibc; run: OUT=<dir> bash scripts/gpu-check.sh"

clean:
	rm -rf build build-asan build-tsan build-fuzz
