# A thin layer over CMake: the two commands of the README and a few more.
#   make run      build, then the demo and the quick benchmark table
#   make test     build (normal, TSan, ASan+UBSan) and run the whole suite
#   make bench    the full benchmark suite: table, CSV and plots in bench/results/
#   make bench-quick  the quick suite (under a minute), as make run shows it
#   make fuzz     the libFuzzer harness for FUZZ_TIME seconds (default 600)
#   make stress   DURATION seconds (default 600) of random multi-threaded
#                 traffic, a quarter each: malloc and kmem_cache, slub and unified
#   make install  install libuslab and libuslab-malloc (.so/.a), uslab.h, the
#                 pkg-config and CMake package files, the man pages, slabinfo
#   make uninstall  remove what the last make install installed
#   make help     this list
BUILD ?= build
PREFIX ?= /usr/local
# Output of apt, CMake and the compiler goes to logs here; the screen gets
# it only when a step fails.
LOGS = $(BUILD)/logs
QUIET = sh scripts/quiet.sh
MAKEFLAGS += --no-print-directory
.NOTPARALLEL:
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

BUILD_DEPS = gcc binutils make cmake pkg-config libc6-dev liburcu-dev
TEST_DEPS = $(BUILD_DEPS) clang libclang-rt-14-dev libasan8 libtsan2 libubsan1 valgrind \
	git python3 sqlite3 redis-tools mandoc

# The peers of the benchmark table (make run shows the quick one); the
# plots of make bench need gnuplot as well.
RUN_DEPS = $(BUILD_DEPS) libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4
BENCH_DEPS = $(RUN_DEPS) gnuplot-nox

FUZZ_TIME ?= 600
DURATION ?= 600

.PHONY: all run test bench bench-quick fuzz stress install uninstall help deps-build deps-run deps-test \
	deps-bench configure build clean

all: deps-build configure build

build:
	@echo "building in $(BUILD)/ (log: $(LOGS)/build.log)"
	@$(QUIET) $(LOGS)/build.log "the build" cmake --build $(BUILD) -j$(JOBS)

deps-build:
	@DEPS_LOG=$(LOGS)/deps.log sh scripts/ensure-deps.sh $(BUILD_DEPS)

deps-run:
	@DEPS_LOG=$(LOGS)/deps.log sh scripts/ensure-deps.sh $(RUN_DEPS)

deps-test:
	@DEPS_LOG=$(LOGS)/deps.log sh scripts/ensure-deps.sh $(TEST_DEPS)

deps-bench:
	@DEPS_LOG=$(LOGS)/deps.log sh scripts/ensure-deps.sh $(BENCH_DEPS)

configure:
	@$(QUIET) $(LOGS)/configure.log "cmake's configuration" \
		cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX)

run: deps-run all
	@./$(BUILD)/uslab-demo --markdown bench/results/quick.md

test: deps-test configure build
	@cd $(BUILD) && ctest -j$(JOBS) --output-on-failure

bench: deps-bench all
	./$(BUILD)/uslab-bench --out bench/results

bench-quick: deps-run all
	./$(BUILD)/uslab-bench --quick --markdown bench/results/quick.md

fuzz: deps-test configure
	cmake --build $(BUILD) -j$(JOBS) --target fuzz_slab_build
	mkdir -p $(BUILD)/fuzz-corpus $(BUILD)/fuzz-artifacts
	cd $(BUILD) && ./fuzz_slab -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=fuzz-artifacts/ -jobs=$(JOBS) -workers=$(JOBS) fuzz-corpus

stress: deps-build configure
	cmake --build $(BUILD) -j$(JOBS) --target uslab-stress
	@for alloc in slub unified; do for mode in malloc kmem; do \
		echo "== $$mode, $$alloc, $$(( $(DURATION) / 4 )) s"; \
		USLAB_ALLOCATOR=$$alloc ./$(BUILD)/tests/uslab-stress $$mode $$(( $(DURATION) / 4 )) 8 || exit 1; \
	done; done

# What a user gets, and nothing else is built for it: the libraries, the
# header, the pkg-config and CMake package files, the man pages, slabinfo.
INSTALL_TARGETS = uslab uslab_malloc uslab_static_build uslab_malloc_static_build slabinfo

install: deps-build configure
	@echo "building the libraries and slabinfo (log: $(LOGS)/build.log)"
	@$(QUIET) $(LOGS)/build.log "the build" cmake --build $(BUILD) -j$(JOBS) --target $(INSTALL_TARGETS)
	@$(QUIET) $(LOGS)/install.log "the install" cmake --install $(BUILD) --prefix $(PREFIX)
	@{ cat $(BUILD)/install_manifest.txt; echo; } | sed '/^$$/d' > $(BUILD)/installed.txt
	@sed 's/^/installed /' $(BUILD)/installed.txt
	@sh scripts/ldconfig.sh $(BUILD)/installed.txt

# Removes what the last make install put there (its list: build/installed.txt).
uninstall:
	@sh scripts/uninstall.sh $(BUILD)/installed.txt

clean:
	rm -rf $(BUILD)

help:
	@sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' Makefile
