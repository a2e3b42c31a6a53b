# Thin wrapper over CMake: `make demo` and `make test` are the two commands.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
DEPS_PKGS = libopenblas-dev liblapacke-dev

.PHONY: all deps build demo test test-full test-big test-valgrind test-asan install bench fuzz clean

all: build

# Installs the Debian packages lapis needs when they are missing.
deps:
	@missing=""; for p in $(DEPS_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "lapis: installing$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) || exit 1; \
	  elif command -v dpkg >/dev/null 2>&1; then \
	    echo "lapis: missing packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/lapis demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole reliability lattice (slow).
test-full: build
	cd $(BUILD) && LAPIS_TEST_FULL=1 ctest --output-on-failure -j $(JOBS)

# Index safety with a batch of more than 2^31 elements (~9 GB of memory).
test-big: build
	cd $(BUILD) && LAPIS_TEST_BIG=1 ./tests/test_rel_index

# valgrind (memcheck) on a small subset: every op on a batch of 257
# (test_rel_batch with LAPIS_REL_QUICK=1), the absurd-shape and error paths
# (test_rel_index) and a few CLI runs. One thread everywhere; only definite
# leaks count (the OpenMP and OpenBLAS thread pools stay "possibly lost").
VALGRIND = LAPIS_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 valgrind -q \
  --tool=memcheck --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
  --suppressions=tests/valgrind.supp
test-valgrind: build
	LAPIS_REL_QUICK=1 $(VALGRIND) $(BUILD)/tests/test_rel_batch >/dev/null
	$(VALGRIND) $(BUILD)/tests/test_rel_index >/dev/null
	$(VALGRIND) $(BUILD)/lapis run cholesky --n 5 --batch 2 >/dev/null
	$(VALGRIND) $(BUILD)/lapis run lu --m 7 --n 5 --batch 2 --dtype f32 --repeat 2 >/dev/null
	$(VALGRIND) $(BUILD)/lapis run solve --n 6 --batch 3 --repeat 2 >/dev/null
	@echo "valgrind: clean"

# The suite under AddressSanitizer and UndefinedBehaviorSanitizer (CPU only).
test-asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DLAPIS_SANITIZE=ON -DLAPIS_CUDA=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# libFuzzer over the public API for FUZZ_TIME seconds (clang, ASan+UBSan).
FUZZ_TIME ?= 120
fuzz: deps
	cmake -S . -B $(BUILD)-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLAPIS_FUZZ=ON -DLAPIS_CUDA=OFF -DLAPIS_BUILD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_api
	mkdir -p $(BUILD)-fuzz/corpus
	cd $(BUILD)-fuzz && LAPIS_NUM_THREADS=1 ./fuzz_api -max_total_time=$(FUZZ_TIME) -timeout=10 \
	  -rss_limit_mb=4096 -print_final_stats=1 corpus >fuzz.log 2>&1; rc=$$?; \
	  grep -vE '^(#|\s*"|INFO|MS:|###)' fuzz.log | tail -20; exit $$rc

bench: build
	./$(BUILD)/lapis bench

install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX),)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz
