# Shared helpers for the shell test groups; source it, do not run it.
#
# A test group prints one line per test: "PASS name", "FAIL name: why" or
# "SKIP name: reason", and exits non-zero when any test failed. tests/run
# counts those lines.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# config.mk names the fio the engine was built against; use that one.
# The rule ($FIO, else config.mk's FIO_BIN, else build/fio/fio) is
# fio_binary() in analysis/fioab/fio.py, which the Python scripts use; bash
# cannot import it, so this mirrors it: change both together.
if [ -z "${FIO:-}" ] && [ -f "$TOP/config.mk" ]; then
	FIO=$(sed -n 's/^FIO_BIN *:\?= *//p' "$TOP/config.mk")
fi
FIO=${FIO:-$TOP/build/fio/fio}
ENGINE=${ENGINE:-$TOP/engine/dmabuf.so}
PYTHON=${PYTHON:-/usr/bin/python3}
T_FAILED=0

t_pass() { echo "PASS $1"; }
t_fail() { echo "FAIL $1: $2"; T_FAILED=1; }
t_skip() { echo "SKIP $1: $2"; }

# fio_ok NAME LOG JSON: judge a finished fio run. fio can exit 0 with
# "error": 0 after a job died by a signal, so tests/fio-check reads its log
# too; what a good run is, is fioab.fio.judge_file (analysis/fioab/fio.py).
fio_ok() {
	local name=$1 log=$2 json=$3 why
	if ! why=$("$PYTHON" "$TOP/tests/fio-check" "$json" "$log" 2>&1); then
		t_fail "$name" "$why; $(grep -m2 -iE 'error|fail|verify' "$log" | tr '\n' ' ')"
		return 1
	fi
	t_pass "$name"
}

# fio_run NAME ARGS...: run fio with JSON output into $T_TMP and judge it.
fio_run() {
	local name=$1 rc
	shift
	local base="$T_TMP/${name//[^A-Za-z0-9_.-]/_}"
	"$FIO" --output-format=json --output="$base.json" "$@" >"$base.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		t_fail "$name" "fio exited $rc: $(grep -v '^$' "$base.log" | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
	fio_ok "$name" "$base.log" "$base.json"
}

# fio_must_fail NAME PATTERN ARGS...: fio must exit non-zero and print PATTERN.
fio_must_fail() {
	local name=$1 pattern=$2 rc
	shift 2
	local log="$T_TMP/${name//[^A-Za-z0-9_.-]/_}.log"
	"$FIO" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		t_fail "$name" "fio exited 0, expected an error matching '$pattern'"
	elif ! grep -qE -- "$pattern" "$log"; then
		t_fail "$name" "no '$pattern' in: $(tail -n 3 "$log" | tr '\n' ' ')"
	else
		t_pass "$name"
	fi
}

# t_need_odirect NAME DIR: fail NAME and exit unless files in DIR take O_DIRECT.
t_need_odirect() {
	if ! dd if=/dev/zero of="$2/odirect-probe" bs=4096 count=1 oflag=direct 2>/dev/null; then
		t_fail "$1" "$2 does not take O_DIRECT; set TMPDIR to a file system that does"
		exit 1
	fi
	rm -f "$2/odirect-probe"
}

t_tmpdir() {
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fio-dmabuf-test.XXXXXX")
	trap 'rm -rf "$T_TMP"' EXIT
	# fio leaves verify state files in the working directory
	cd "$T_TMP" || exit 1
}

# t_series_kernel: the scripts/vm options of a guest kernel with the io_uring
# dma-buf series, into T_SERIES_VM_ARGS: FIO_DMABUF_KERNEL_IMAGE (a bzImage),
# else FIO_DMABUF_KERNEL_PATCHES or the first ~/.cache/fio-dmabuf/patches/
# io_uring-dmabuf* directory (applied by scripts/vm --kernel-patches; patches
# never go into this repository). Returns 1 when there is none; then
# T_SERIES_HOWTO says how to give one.
T_SERIES_HOWTO="set FIO_DMABUF_KERNEL_PATCHES=DIR (the series, e.g. from b4 am) or FIO_DMABUF_KERNEL_IMAGE=bzImage"
t_series_kernel() {
	local patches=${FIO_DMABUF_KERNEL_PATCHES:-$(ls -d "$HOME"/.cache/fio-dmabuf/patches/io_uring-dmabuf* 2>/dev/null | head -n 1)}
	T_SERIES_VM_ARGS=()
	if [ -n "${FIO_DMABUF_KERNEL_IMAGE:-}" ]; then
		T_SERIES_VM_ARGS=(--kernel-image "$FIO_DMABUF_KERNEL_IMAGE")
	elif [ -n "$patches" ] && [ -d "$patches" ]; then
		T_SERIES_VM_ARGS=(--kernel-patches "$patches")
	else
		return 1
	fi
}
