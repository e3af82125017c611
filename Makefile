# eider — top-level commands. `make run` opens the shell; `make test` runs every test.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
FUZZ_SECONDS ?= 60
DURATION ?= PT10M

.PHONY: all setup build run test test-release test-asan test-tsan test-slow tsan fuzz bench churn clean

all: build

setup:
	@scripts/setup

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: setup $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/eider

$(ASAN_BUILD)/Makefile:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEIDER_SANITIZE=ON >/dev/null

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: setup $(ASAN_BUILD)/Makefile
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

$(TSAN_BUILD)/Makefile:
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEIDER_TSAN=ON >/dev/null

# the tests that run many threads, under ThreadSanitizer
tsan test-tsan: setup $(TSAN_BUILD)/Makefile
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS) -L concurrency

# the full out-of-core grid (20 million rows; limits 500MB and 300MB; threads 1 and 2)
OOC_ROWS ?= 20000000
OOC_QUERIES ?= 0 1 2 3 4 4g 5v 5s 6
test-slow: build
	@status=0; for limit in 500MB 300MB; do for t in 1 2; do \
		test/outofcore/run.sh --build $(BUILD) --rows $(OOC_ROWS) --limit $$limit --threads $$t \
			--queries "$(OOC_QUERIES)" || status=1; \
	done; done; exit $$status

churn: build
	$(BUILD)/eider-churn $(DURATION) $(CHURN_ARGS)

$(FUZZ_BUILD)/Makefile:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEIDER_FUZZ=ON -DEIDER_SANITIZE=ON >/dev/null

fuzz: setup $(FUZZ_BUILD)/Makefile
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@mkdir -p $(FUZZ_BUILD)/logs
	@for f in $(FUZZ_BUILD)/fuzz_*; do \
		[ -f $$f ] && [ -x $$f ] || continue; \
		echo "fuzzing $$f for $(FUZZ_SECONDS)s"; \
		mkdir -p $(FUZZ_BUILD)/corpus/$$(basename $$f); \
		log=$(FUZZ_BUILD)/logs/$$(basename $$f).log; \
		if $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(FUZZ_BUILD)/corpus/$$(basename $$f) \
			test/fuzz/corpus/$$(basename $$f) > $$log 2>&1; then tail -n 1 $$log; \
		else tail -n 60 $$log; exit 1; fi; \
	done

test: test-release test-asan test-tsan fuzz

# micro-benchmarks, then the suite against the peer engine (bench/run; BENCH_SCALE=full for the
# large sizes)
BENCH_SCALE ?= default
bench: build
	$(BUILD)/bench_parse_bench
	$(BUILD)/bench_appender_bench
	BUILD=$(BUILD) BENCH_SCALE=$(BENCH_SCALE) bench/run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
