"""Build real-world C programs to wasm32-wasi from the C sources inside PyPI sdists.

    python tests/real/build.py                # build every program, print the paths
    from tests.real.build import build_program, Unavailable
    build_program("lz4_roundtrip") -> Path to lz4_roundtrip.wasm (raises Unavailable)

The third-party sources are never committed: each program names a pinned sdist, fetched with
``pip download --no-deps --no-binary :all: NAME==VERSION`` into tests/.cache/sdists/ (or taken
from $SELFHOST_SDIST_DIR, a directory holding the .tar.gz) and extracted to
tests/.cache/real/src/. ``Unavailable`` (with the reason) is raised when the sdist cannot be
obtained (offline, no index): the tests skip with that reason. Our own drivers are in
tests/real/*.c. A program is rebuilt only when its inputs or the compiler command changed (a
stamp next to the .wasm), like tests/apps/build.py.
"""
import hashlib
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

REAL_DIR = Path(__file__).resolve().parent
CACHE = REAL_DIR.parent / ".cache"
SDIST_DIR = CACHE / "sdists"
SRC_DIR = CACHE / "real" / "src"
OUT_DIR = CACHE / "real"
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-s", "-fno-sanitize=undefined"]


class Unavailable(Exception):
    """The sources of a program cannot be obtained (the reason is the message)."""


def _zstd_single_threaded(text):
    # the python-zstandard amalgamation defines ZSTD_MULTITHREAD unconditionally: wasm32-wasi
    # has no threads (pthread_create would be an undefined symbol at link time)
    return re.sub(r"(?m)^#define ZSTD_MULTITHREAD$", "/* no ZSTD_MULTITHREAD on wasm32-wasi */",
                  text)


# name -> sdist (dist, version), sources (globs inside the extracted sdist; "@" = tests/real),
# include dirs (inside the sdist), extra flags, source patches {relative path: fn(text)}
PROGRAMS = {
    "lz4_roundtrip": {
        "sdist": ("lz4", "4.4.5"),
        "sources": ["lz4libs/lz4.c", "lz4libs/lz4hc.c", "lz4libs/lz4frame.c",
                    "lz4libs/xxhash.c", "@lz4_roundtrip.c"],
        "include": ["lz4libs"],
        "flags": [],
    },
    "zstd_roundtrip": {
        "sdist": ("zstandard", "0.25.0"),
        "sources": ["zstd/zstd.c", "@zstd_roundtrip.c"],
        "include": ["zstd"],
        "flags": [],
        "patch": {"zstd/zstd.c": _zstd_single_threaded},
    },
    # brotli's own command line tool (c/tools/brotli.c), unchanged
    "brotli": {
        "sdist": ("brotli", "1.2.1"),
        "sources": ["c/common/*.c", "c/dec/*.c", "c/enc/*.c", "c/tools/brotli.c"],
        "include": ["c/include"],
        # WASI has no process clock, chmod or chown (brotli.c stubs them out for Windows too)
        "flags": ["-D_WASI_EMULATED_PROCESS_CLOCKS", "-lwasi-emulated-process-clocks",
                  "-Dchmod(F,P)=((void)(F),0)", "-Dchown(F,O,G)=((void)(F),0)"],
    },
}


def sdist_path(dist, version):
    """The .tar.gz of dist==version: from $SELFHOST_SDIST_DIR, the cache, or pip download."""
    names = ["%s-%s.tar.gz" % (dist, version), "%s-%s.tar.gz" % (dist.capitalize(), version)]
    dirs = [Path(os.environ["SELFHOST_SDIST_DIR"])] if os.environ.get("SELFHOST_SDIST_DIR") else []
    dirs.append(SDIST_DIR)
    for d in dirs:
        for name in names:
            if (d / name).is_file():
                return d / name
    SDIST_DIR.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           "--disable-pip-version-check", "-q", "%s==%s" % (dist, version), "-d", str(SDIST_DIR)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Unavailable("pip download %s==%s failed: %s" % (dist, version, e)) from None
    for name in names:
        if (SDIST_DIR / name).is_file():
            return SDIST_DIR / name
    last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    raise Unavailable("sdist %s==%s not obtainable (pip download: %s)"
                      % (dist, version, last[0]))


def extract(dist, version):
    """The extracted sdist directory (extracted once)."""
    tarball = sdist_path(dist, version)
    dest = SRC_DIR / ("%s-%s" % (dist, version))
    done = dest / ".extracted"
    if done.is_file():
        return _top(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if (m.isfile() or m.isdir())
                   and not m.name.startswith("/") and ".." not in Path(m.name).parts]
        tar.extractall(dest, members=members)
    done.write_text(str(tarball) + "\n")
    return _top(dest)


def _top(dest):
    tops = [p for p in dest.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise Unavailable("unexpected layout of the sdist in %s" % dest)
    return tops[0]


def build_program(name):
    """Compile program ``name`` (if needed) and return the path of its .wasm."""
    spec = PROGRAMS[name]
    top = extract(*spec["sdist"])
    for rel, fn in spec.get("patch", {}).items():
        patched = top / (rel + ".wasi.c")
        text = fn((top / rel).read_text(encoding="latin-1"))
        if not patched.is_file() or patched.read_text(encoding="latin-1") != text:
            patched.write_text(text, encoding="latin-1")
    sources = []
    for pattern in spec["sources"]:
        if pattern.startswith("@"):
            sources.append(REAL_DIR / pattern[1:])
            continue
        if pattern in spec.get("patch", {}):
            pattern += ".wasi.c"
        found = sorted(top.glob(pattern))
        if not found:
            raise Unavailable("%s: no %s in the sdist" % (name, pattern))
        sources += found
    cmd_tail = CFLAGS + ["-I%s" % (top / inc) for inc in spec["include"]] + spec["flags"]
    digest = hashlib.sha256(repr([c.replace(str(top), "<src>") for c in cmd_tail]).encode())
    for src in sources:
        digest.update(src.name.encode() + b"\0" + src.read_bytes())
    digest = digest.hexdigest()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / (name + ".wasm")
    stamp = OUT_DIR / (name + ".sha256")
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return out
    tmp = OUT_DIR / ("%s.%d.tmp.wasm" % (name, os.getpid()))
    cmd = [sys.executable, "-m", "ziglang", "cc", *cmd_tail, *map(str, sources), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError("building %s failed:\n%s%s" % (name, proc.stdout, proc.stderr[-4000:]))
    os.replace(tmp, out)
    stamp.write_text(digest + "\n")
    return out


if __name__ == "__main__":
    for prog in sorted(PROGRAMS):
        try:
            print(prog, build_program(prog))
        except Unavailable as e:
            print(prog, "unavailable:", e)
