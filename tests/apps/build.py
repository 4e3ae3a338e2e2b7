"""Build the C test apps in tests/apps/ to wasm32-wasi modules, cached in tests/.cache/apps/.

    python tests/apps/build.py            # build every app, print the paths
    from tests.apps.build import build_app; build_app("hello") -> Path to hello.wasm

An app is rebuilt only when its source (or the compiler command) changed: a stamp file next to
the .wasm holds the SHA-256 of both. No binaries are committed.
"""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

APPS_DIR = Path(__file__).resolve().parent
CACHE_DIR = APPS_DIR.parent / ".cache" / "apps"
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-s", "-fno-sanitize=undefined"]


def app_names():
    return sorted(p.stem for p in APPS_DIR.glob("*.c"))


def build_app(name):
    """Compile tests/apps/NAME.c (if needed) and return the path of NAME.wasm."""
    return build_c(APPS_DIR / (name + ".c"), CACHE_DIR, CFLAGS)


def build_c(src, cache_dir, cflags):
    """Compile the C file ``src`` with `zig cc` and ``cflags`` into ``cache_dir``/NAME.wasm,
    unless the stamp beside it says the source and flags are unchanged; return its path."""
    src = Path(src)
    if not src.is_file():
        raise FileNotFoundError("no test app source %s" % src)
    name = src.stem
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = cache_dir / (name + ".wasm")
    stamp = cache_dir / (name + ".sha256")
    digest = hashlib.sha256(src.read_bytes() + repr(cflags).encode()).hexdigest()
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return out
    tmp = cache_dir / ("%s.%d.tmp.wasm" % (name, os.getpid()))
    cmd = [sys.executable, "-m", "ziglang", "cc", *cflags, str(src), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError("building %s failed:\n%s%s" % (name, proc.stdout, proc.stderr))
    os.replace(tmp, out)
    stamp.write_text(digest + "\n")
    return out


def build_all():
    return {name: build_app(name) for name in app_names()}


if __name__ == "__main__":
    for name, path in build_all().items():
        print(name, path)
