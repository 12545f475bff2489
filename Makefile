# Bridgehead: the two commands of the quick start are `make demo` and `make test`.
# Both install what is missing (scripts/deps), configure and build by themselves.
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBH_WERROR=ON

.PHONY: all deps build build-asan test unit demo bench fuzz install deb clean format

all: build

deps:
	@scripts/deps

build: deps
	@cmake -S . -B build $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j$(JOBS)

build-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBH_WERROR=ON -DBH_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j$(JOBS)

# Every test: unit + fuzz-corpus replay + lab tests on the normal build, then unit + fuzz
# replay + the lab tests labelled asan on the ASan+UBSan build.
test: build build-asan
	@scripts/lab-cleanup
	cd build && ctest --output-on-failure -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS) -L 'unit|fuzz|asan'

unit: build
	cd build && ctest --output-on-failure -j$(JOBS) -L 'unit|fuzz'

demo: build
	@scripts/demo

bench: build
	@bench/run

# libFuzzer builds (clang). FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBH_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j$(JOBS)
	@scripts/fuzz-all build-fuzz $(FUZZ_SECONDS)

# Binaries to /usr/sbin and /usr/bin, units to /usr/lib/systemd/system, the default config to
# /etc/bridgehead (kept if present), and the bridgehead system user. DESTDIR is honoured.
install: build
	cmake --install build --prefix /usr

# The Debian package, built with dpkg-buildpackage from a copy of the tree in build/deb/:
# build/deb/bridgehead_<version>_<arch>.deb, then lintian on it.
deb: deps
	@scripts/make-deb

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
