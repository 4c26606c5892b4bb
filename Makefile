# Makefile: a thin wrapper over CMake and CTest. Each target says when to use it.
# Build folders: build/ (Release, float), build-double/, build-asan/.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake

.PHONY: all test test-double test-asan test-ref demo bench fuzz cortex-m bench-embedded clean

# The demo's settings: a small network for 2 cores (docs/results.md).
DEMO_FLAGS = --env bandit --steps 30000 --h=1 --alpha=0.1 --batch_size=128 \
	--actor_hidden_dims=64,64 --value_hidden_dims=64,64 --ensemble_ct=2 \
	--eval_interval 10000 --eval_episodes 500 --log_interval 1000

# Build the `rql` program (Release, float). Use this day to day; it needs no
# test framework.
all:
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release
	$(CMAKE) --build build -j $(JOBS) --target rql

# Configure, build and run every test (what the README and CI run).
test:
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release
	$(CMAKE) --build build -j $(JOBS)
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

# The tests with the fast kernels off: every network runs the reference loops
# and std::tanh (the fast kernels are still tested against the reference).
test-ref:
	$(CMAKE) -S . -B build-ref -DCMAKE_BUILD_TYPE=Release -DRQL_FAST_KERNELS=OFF
	$(CMAKE) --build build-ref -j $(JOBS)
	cd build-ref && ctest --output-on-failure -j $(JOBS)

# The main job on a fresh machine: build, generate an offline dataset, train
# RQL and the flow-BC baseline on it, evaluate both, print the scores
# (37 s on an idle 2-core machine after the build: docs/results.md).
demo: all
	rm -rf runs/demo && mkdir -p runs/demo
	./build/rql make-dataset bandit --episodes 2000 --seed 0 --out runs/demo/bandit.npz
	./build/rql dataset info runs/demo/bandit.npz
	./build/rql train $(DEMO_FLAGS) --dataset runs/demo/bandit.npz --out runs/demo/rql
	./build/rql train $(DEMO_FLAGS) --dataset runs/demo/bandit.npz --bc_only=true --out runs/demo/flow-bc
	./build/rql plot curves runs/demo/rql runs/demo/flow-bc --labels RQL,flow-BC --out runs/demo/curves.svg \
		--title "make demo: contextual bandit, RQL vs flow BC (one seed)"
	@echo
	@echo "== demo: contextual bandit, reward per step normalised by the optimum (1.0 = optimal policy)"
	@echo "   behaviour data (what imitation can reach): 0.426"
	@echo "   flow BC:  $$(grep '^normalized_score' runs/demo/flow-bc/summary.txt | cut -d' ' -f2)"
	@echo "   RQL:      $$(grep '^normalized_score' runs/demo/rql/summary.txt | cut -d' ' -f2)"
	@echo "   learning curves: runs/demo/curves.svg; runs: runs/demo/rql, runs/demo/flow-bc"

# The libFuzzer harnesses of tests/fuzz (clang; docs/fuzzing.md), each for
# FUZZ_SECONDS seconds on one core, one after another. Fails on any finding.
FUZZ_SECONDS ?= 30
CLANGXX ?= clang++
fuzz:
	$(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DRQL_FUZZ=ON -DRQL_TESTS=OFF -DCMAKE_CXX_COMPILER=$(CLANGXX)
	$(CMAKE) --build build-fuzz -j $(JOBS) --target rql_fuzz
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# The numeric core cross-compiled for a Cortex-M4F (hard float, single-
# precision FPU): objects and sizes, every double-precision helper call
# checked against an allow-list, the deepest stack of an update and of an
# action sample, then one action sample and one update run under
# qemu-system-arm and compared with the host (docs/porting.md). Needs
# gcc-arm-none-eabi, picolibc-arm-none-eabi, libstdc++-arm-none-eabi-picolibc,
# python3, and qemu-system-arm for the run (skipped, and said, without it).
cortex-m:
	bash tests/cortex_m/run.sh

# Exported policies (`rql export c`) for actors 64x64, 256x256 and 4x512,
# float and int8, on Cortex-M4 and M7 under qemu-system-arm -icount: flash,
# RAM, stack, instructions per action (the table of docs/embedded.md; several
# minutes, the 4x512 sources are large). Needs gcc-arm-none-eabi,
# picolibc-arm-none-eabi, qemu-system-arm.
bench-embedded: all
	RQL=build/rql OUT=build-embedded bash tests/embedded/bench.sh

# Benchmarks (figures go to docs/benchmarks.md by hand, with the command).
bench: all
	./build/rql bench matmul
	./build/rql bench update --steps 20

# Remove every build folder.
clean:
	rm -rf build build-double build-asan build-ref build-cortex-m build-fuzz build-embedded
