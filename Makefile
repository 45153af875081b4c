# fio-dmabuf: a fio external ioengine for io_uring dma-buf registered buffers.
# `make help` lists the targets.

TOP := $(CURDIR)
DEPS_STAMP := build/.deps-stamp

# config.mk comes from ./configure; make runs it when it is missing, except
# for the goals below, which need neither packages nor fio.
NOCONFIG_GOALS := help deps clean distclean uninstall report
ifneq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
-include config.mk
endif

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
FIO_CFLAGS = -include $(FIO_SRC)/config-host.h -isystem $(FIO_SRC) \
	-D_GNU_SOURCE -D_LARGEFILE_SOURCE -D_FILE_OFFSET_BITS=64 -DFIO_INTERNAL
ENGINE_VERSION := $(shell git -C $(TOP) describe --always --dirty 2>/dev/null || echo unknown)

ENGINE_SRCS := $(wildcard engine/*.c)
ENGINE_OBJS := $(ENGINE_SRCS:engine/%.c=build/engine/%.o)
ENGINE := engine/dmabuf.so
# The exporters and registration helpers are free of fio: the probe tool
# is built from the very same sources.
PROBE := build/dmabuf-probe
PROBE_SRCS := scripts/dmabuf-probe.c engine/exporter.c $(wildcard engine/exp_*.c) engine/regbuf.c \
	engine/path_rules.c engine/json.c

PYTHON := /usr/bin/python3
export FIO := $(FIO_BIN)

.PHONY: all deps test mutants check conformance conformance-build bench report bench-overhead install uninstall clean distclean help

NVME_ID := build/nvme-id

all: $(ENGINE) $(PROBE) $(NVME_ID)

help:
	@echo "fio-dmabuf targets:"
	@echo "  make                 build engine/dmabuf.so and build/dmabuf-probe (installs packages, fetches and builds fio on first use)"
	@echo "  make deps            install the Debian packages in scripts/debian-packages (as root)"
	@echo "  make test            build, then run every test group (tests/run); ends with a summary line"
	@echo "  make test-GROUP      one group: test-engine, test-probe, test-cuda, test-analysis, test-matrix, test-remote, test-ci-def, test-vm, test-dmabuf, test-conformance"
	@echo "  make mutants         apply each deliberate defect in tests/mutants/run to a scratch copy; fail if a test group misses one (MUTANTS=\"NAME...\")"
	@echo "  make bench           the default matrix on DEVICE=/dev/nvmeXnY, else in the test VM (emulated), then its report"
	@echo "                       (BENCH_MATRIX=jobs/matrix/default.ini, BENCH_OUT=results/scratch/bench-DATE,"
	@echo "                       VM_ARGS=\"--kernel-patches DIR\" for a guest kernel with the series,"
	@echo "                       BENCH_ARGS=\"--until-resolved --budget 20m\" for more rounds while unresolved)"
	@echo "  make report RESULTS=DIR  tables, figures and report.md for a result directory"
	@echo "  make check           static checks: cppcheck on the C sources"
	@echo "  make conformance     the kernel conformance suite (scripts/conformance) in the test VM, or on DEVICE=/dev/nvmeXnY"
	@echo "                       (CONF_ARGS=--force there; VM_ARGS=\"--kernel-patches DIR [--debug-kernel]\")"
	@echo "  make bench-overhead  engine (mem) vs fio's io_uring engine, CPU per I/O (scripts/bench-overhead)"
	@echo "  make install         install dmabuf.so into \$$PREFIX/lib ($(PREFIX)/lib) and run ldconfig"
	@echo "  make uninstall       remove it again"
	@echo "  make clean           remove the engine build; distclean also removes build/ (fio) and config.mk"

$(DEPS_STAMP): scripts/debian-packages scripts/install-deps
	scripts/install-deps
	@mkdir -p $(@D) && touch $@

deps: $(DEPS_STAMP)

config.mk: $(DEPS_STAMP) configure
	./configure

build/engine/%.o: engine/%.c config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -fPIC -MMD -MP $(FIO_CFLAGS) $(URING_CFLAGS) \
		-DFIO_DMABUF_FIO_VERSION='"$(FIO_VERSION)"' \
		-DFIO_DMABUF_VERSION='"$(ENGINE_VERSION)"' -c -o $@ $<

$(ENGINE): $(ENGINE_OBJS)
	$(CC) $(CFLAGS) -shared -o $@ $^ $(URING_LIBS)

$(PROBE): $(PROBE_SRCS) $(wildcard engine/*.h) config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -Iengine $(URING_CFLAGS) -o $@ $(PROBE_SRCS) \
		$(URING_LIBS) -ldl

-include $(ENGINE_OBJS:.o=.d)

# The engine as if built for another fio: tests/engine checks it is refused.
build/test/dmabuf-otherfio.so: $(ENGINE_SRCS) config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared $(FIO_CFLAGS) $(URING_CFLAGS) \
		-DFIO_DMABUF_FIO_VERSION='"fio-0.0-test"' \
		-DFIO_DMABUF_VERSION='"test"' -o $@ $(ENGINE_SRCS) $(URING_LIBS)

# The kernel conformance suite: conformance/cases/NAME.c -> build/conformance/NAME,
# each linked with the suite's helpers and the engine's fio-free exporter and
# registration code (the very code fio uses).
CONF_CASES := $(patsubst conformance/cases/%.c,build/conformance/%,$(wildcard conformance/cases/*.c))
CONF_OBJS := build/conformance/obj/conf.o $(patsubst engine/%.c,build/conformance/obj/%.o,\
	engine/exporter.c $(wildcard engine/exp_*.c) engine/regbuf.c engine/path_rules.c)
CONF_CFLAGS = $(CFLAGS) $(WARN) -Iengine -Iconformance $(URING_CFLAGS)

build/conformance/obj/%.o: engine/%.c $(wildcard engine/*.h) config.mk
	@mkdir -p $(@D)
	$(CC) $(CONF_CFLAGS) -c -o $@ $<

build/conformance/obj/conf.o: conformance/conf.c conformance/conf.h $(wildcard engine/*.h) config.mk
	@mkdir -p $(@D)
	$(CC) $(CONF_CFLAGS) -c -o $@ $<

build/conformance/%: conformance/cases/%.c $(CONF_OBJS) conformance/conf.h
	$(CC) $(CONF_CFLAGS) -o $@ $< $(CONF_OBJS) $(URING_LIBS) -ldl -lpthread

# the objects are shared by every case: keep them
.SECONDARY: $(CONF_OBJS)

conformance-build: $(CONF_CASES)

# In the test VM unless DEVICE= names a namespace (whose data it destroys:
# CONF_ARGS=--force); VM_ARGS="--kernel-patches DIR" for the series.
conformance: all conformance-build
	scripts/conformance $(if $(DEVICE),$(DEVICE),--vm $(if $(VM_ARGS),--vm-args "$(VM_ARGS)")) $(CONF_ARGS)

TEST_DEPS := all build/test/dmabuf-otherfio.so $(CONF_CASES)

test: $(TEST_DEPS)
	tests/run

test-%: $(TEST_DEPS)
	tests/run $*

# Deliberate defects the tests must catch (tests/mutants/run --list).
mutants: $(TEST_DEPS)
	tests/mutants/run $(MUTANTS)

check: config.mk
	cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem --std=c11 \
		-D__linux__ -DFIO_DMABUF_FIO_VERSION='"check"' -I engine $(ENGINE_SRCS) \
		scripts/dmabuf-probe.c scripts/nvme-id.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem --std=c11 -D__linux__ \
		-I engine -I conformance conformance/conf.c conformance/cases/*.c

BENCH_MATRIX ?= jobs/matrix/default.ini

# The matrix exits 1 when some cells failed; the report still shows the rest.
bench: all
	@out=$${BENCH_OUT:-results/scratch/bench-$$(date -u +%Y%m%dT%H%M%SZ)}; \
	scripts/run-matrix $(BENCH_MATRIX) $(if $(DEVICE),--device $(DEVICE),--vm $(if $(VM_ARGS),--vm-args "$(VM_ARGS)")) --out "$$out" $(BENCH_ARGS); \
	rc=$$?; [ $$rc -le 1 ] || exit $$rc; \
	analysis/report "$$out" || exit $$?; \
	echo "bench: results in $$out, report in $$out/report/report.md"; exit $$rc

# The NVMe identity the matrix runner records in meta.json (libnvme).
$(NVME_ID): scripts/nvme-id.c config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(NVME_CFLAGS) -o $@ $< $(NVME_LIBS)

report:
	@[ -n "$(RESULTS)" ] || { echo "make report: give RESULTS=results/NAME" >&2; exit 2; }
	analysis/report $(RESULTS)

bench-overhead: all
	scripts/bench-overhead

install: all
	install -D -m 0755 $(ENGINE) $(DESTDIR)$(PREFIX)/lib/dmabuf.so
	[ -n "$(DESTDIR)" ] || ldconfig

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/dmabuf.so
	[ -n "$(DESTDIR)" ] || ldconfig

clean:
	rm -rf build/engine $(ENGINE)

distclean: clean
	rm -rf build config.mk
