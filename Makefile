# Makefile: a thin wrapper over CMake and CTest. Each target says when to use it.
# Build folders: build/ (Release, float), build-double/, build-asan/.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake

.PHONY: all test test-double test-asan test-embedded demo bench clean

# Build the `rql` program and the tests (Release, float). Use this day to day.
all:
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release
	$(CMAKE) --build build -j $(JOBS)

# Configure, build and run every test (what the README and CI run).
test: all
	cd build && ctest --output-on-failure -j $(JOBS)

# The same tests with `real` = double: tight finite-difference gradient checks.
test-double:
	$(CMAKE) -S . -B build-double -DCMAKE_BUILD_TYPE=Release -DRQL_DOUBLE=ON
	$(CMAKE) --build build-double -j $(JOBS)
	cd build-double && ctest --output-on-failure -j $(JOBS)

# The tests under AddressSanitizer + UndefinedBehaviorSanitizer (slower; debug info on).
test-asan:
	$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRQL_SANITIZE=ON
	$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# Compile the numeric core with -fno-exceptions -fno-rtti (the embedded profile).
test-embedded:
	$(CMAKE) -S . -B build-embedded -DCMAKE_BUILD_TYPE=Release -DRQL_EMBEDDED=ON -DRQL_TESTS=OFF
	$(CMAKE) --build build-embedded -j $(JOBS) --target rql_embedded_core

# Benchmarks (figures go to docs/benchmarks.md by hand, with the command).
bench: all
	./build/rql bench matmul
	./build/rql bench update --steps 20

# Remove every build folder.
clean:
	rm -rf build build-double build-asan build-embedded
