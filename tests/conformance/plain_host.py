"""A conformance program run STRAIGHT on a host runtime (no selfhost in between), to tell a
difference that is the host's own from one that is selfhost's.

    python -m tests.conformance.plain_host -r wasmer rename_dirs readdir_order
    from tests.conformance.plain_host import run_plain; run_plain("node", "fd_sync") -> Outcome

The fixture, the oracle and the comparison are tests/conformance/harness.py's. The hosts:

- "node": plain node:wasi (plain_node.mjs, ``returnOnExit``), ROOT/sandbox preopened as
  "/sandbox" (fd 3, as the harness gives it to wasmtime) and nothing else: none of selfhost's
  own launcher (host/runtimes/node_launcher.mjs) is in the way, not even its path_symlink.
  One call is adjusted: path_open asks for the rights wasi-libc's open() asks for (what
  selfhost.wasm's CPython gets from uvwasi), because uvwasi enforces rights and refuses
  common.h's ALL_RIGHTS outright (plain_node.mjs says how).
- "wasmer": wasmer-sdk through host/runtimes/wasmer_child.py, the runner selfhost.wasm itself
  runs under. wasmer-sdk mounts files only below /workspace and its preopens are "/" (fd 3),
  "." and "/" again, so a program cannot get the sandbox as a preopen at fd 3 under
  "/sandbox". The fixture root is mounted at /workspace/d0 (the sandbox at
  WASMER_SANDBOX, outside.txt and outside_dir/ beside it, as in the harness's tree) and the
  program is built in a variant (``wasmer_variant``) that reaches the sandbox there the way
  selfhost.wasm reaches its mounts on Wasmer, through the "/" preopen: a C program's
  SANDBOX is a directory fd opened from fd 3 at that path (instead of the preopen fd 3; without
  FD_WRITE, which Wasmer refuses for a directory with EISDIR), a Rust
  program's "/sandbox/..." paths start with WASMER_SANDBOX. Nothing else of the program
  changes.
"""
import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from host.runtimes.base import python_command, python_env
from tests.apps.build import CFLAGS, build_c
from tests.conformance import harness
from tests.conformance.build import CACHE_DIR, RUSTC, RUSTFLAGS, build, programs

HOSTS = ("node", "wasmer")
HERE = Path(__file__).resolve().parent
NODE_LAUNCHER = HERE / "plain_node.mjs"
WASMER_MOUNT = "/workspace/d0"                    # the fixture root in Wasmer's file system
WASMER_SANDBOX = WASMER_MOUNT + "/sandbox"
VARIANT_DIR = CACHE_DIR / "plain-wasmer"

# The C variant: SANDBOX is a directory fd opened once from the "/" preopen (fd 3).
C_SANDBOX = "#define SANDBOX 3\n"
C_SANDBOX_VARIANT = """#define SANDBOX conformance_sandbox_fd()
static int conformance_sandbox_fd(void);
"""
C_SANDBOX_OPENER = """
/* plain_host.py's Wasmer variant: the sandbox is %(path)s below the "/" preopen (fd 3). */
static int conformance_sandbox_fd(void) {
    static int32_t fd = -1;
    if (fd < 0) {
        int e = raw_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "%(rel)s", %(len)d,
                              __WASI_OFLAGS_DIRECTORY,
                              (int64_t)(ALL_RIGHTS & ~(__wasi_rights_t)__WASI_RIGHTS_FD_WRITE),
                              (int64_t)ALL_RIGHTS, 0, &fd);
        if (e != 0) {
            printf("setup: open the sandbox %(path)s: %%s\\n", errname(e));
            exit(1);
        }
    }
    return fd;
}
"""


def _variant_text(program, text):
    """The source (or helper) text ``text`` of ``program`` as built for plain Wasmer."""
    if program.lang == "c":
        if text.count(C_SANDBOX) == 1:
            rel = WASMER_SANDBOX.lstrip("/")
            text = text.replace(C_SANDBOX, C_SANDBOX_VARIANT) + C_SANDBOX_OPENER % {
                "path": WASMER_SANDBOX, "rel": rel, "len": len(rel)}
        return text
    if program.lang == "rust":
        return text.replace('"/sandbox', '"' + WASMER_SANDBOX)
    raise ValueError("%s: no plain-Wasmer variant of a %s program" % (program.name,
                                                                       program.lang))


def wasmer_variant(program):
    """Build ``program``'s plain-Wasmer variant (module docstring) and return its path: its
    source and its language's helper, changed by ``_variant_text``, are written to
    VARIANT_DIR and compiled as build.py compiles the originals (rebuilt when they change)."""
    VARIANT_DIR.mkdir(parents=True, exist_ok=True)
    helper = program.helper
    helper_text = _variant_text(program, helper.read_text()) if helper else ""
    if helper:
        (VARIANT_DIR / helper.name).write_text(helper_text)
    digest = hashlib.sha256(helper_text.encode()).hexdigest()[:16]
    source = VARIANT_DIR / program.source.name
    source.write_text(_variant_text(program, program.source.read_text()))
    if program.lang == "c":
        return build_c(source, VARIANT_DIR, CFLAGS + ["-DCONFORMANCE_HELPER=%s" % digest])
    out = VARIANT_DIR / (program.name + ".wasm")
    stamp = VARIANT_DIR / (program.name + ".sha256")
    cmd = [RUSTC] + RUSTFLAGS
    key = hashlib.sha256(source.read_bytes() + repr(cmd).encode() + digest.encode()).hexdigest()
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == key:
        return out
    proc = subprocess.run(cmd + [str(source), "-o", str(out)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("building %s failed:\n%s%s" % (source, proc.stdout, proc.stderr))
    stamp.write_text(key + "\n")
    return out


def _command(host, wasm, args, env, root, work):
    """The command running ``wasm`` straight on ``host`` with ``args`` (argv[0] first) and
    ``env`` ({K: V}); with ``root`` (a harness fixture) ROOT/sandbox is /sandbox for node and
    ROOT is WASMER_MOUNT for wasmer."""
    config = {"module": str(wasm), "args": list(args), "env": dict(env)}
    if host == "node":
        node = shutil.which("node")
        if node is None:
            raise harness.BuildUnavailable("node not found on PATH")
        config["preopens"] = {harness.GUEST_DIR: str(Path(root, "sandbox"))} if root else {}
        path = Path(work, "node.json")
        path.write_text(json.dumps(config))
        return [node, "--no-warnings", str(NODE_LAUNCHER), str(path)], None
    config.update(mounts=[[str(root), WASMER_MOUNT, None]] if root else [], cwd=None,
                  cache=str(CACHE_DIR / "plain-wasmer-cache"))
    path = Path(work, "wasmer.json")
    path.write_text(json.dumps(config))
    return python_command("host.runtimes.wasmer_child", str(path)), python_env()


def _check_host(host):
    if host not in HOSTS:
        raise ValueError("unknown plain host %r (one of %s)" % (host, ", ".join(HOSTS)))


def run_module(host, wasm, args, stdin=b"", env=None, root=None, timeout=120):
    """Any module straight on ``host`` (see _command): harness.Outcome (its tree: ROOT's, or
    empty without a ROOT)."""
    _check_host(host)
    with tempfile.TemporaryDirectory(prefix="plain-host-") as work:
        cmd, cmd_env = _command(host, wasm, args, env or {}, root, work)
        code, out, err, error, seconds = harness._timed(harness._run, cmd, stdin, timeout,
                                                        cwd=root or work, env=cmd_env)
    tree = harness.snapshot_tree(root) if root else {}
    return harness.Outcome(code, out, err, tree, seconds, error)


def plain_wasm(host, name):
    """The module program ``name`` runs as on plain ``host``."""
    program = programs()[name]
    return wasmer_variant(program) if host == "wasmer" else build(program)


def run_plain(host, name):
    """Conformance program ``name`` straight on ``host`` in a fresh fixture, as the harness
    runs it under the oracle (argv[0] NAME.wasm, the header's args, env and stdin):
    harness.Outcome."""
    _check_host(host)
    spec = harness.parse_header(programs()[name].source)
    wasm = plain_wasm(host, name)
    with tempfile.TemporaryDirectory(prefix="conformance-plain-") as tmp:
        root = Path(tmp)
        harness.make_fixture(root, spec.fixture)
        return run_module(host, wasm, [name + ".wasm"] + list(spec.args), spec.stdin,
                          spec.env_dict(), root, spec.timeout)


def _stdout_items(stdout):
    """{label: line} of a program's output: a line's label is the text before its first ": "
    (the whole line without one); a label seen again gets "#2", "#3"... appended."""
    items, seen = {}, {}
    for line in stdout.decode("utf-8", "replace").splitlines():
        label = line.split(": ", 1)[0]
        seen[label] = seen.get(label, 0) + 1
        items[label if seen[label] == 1 else "%s#%d" % (label, seen[label])] = line
    return items


def differences(expected, got):
    """Where ``got`` differs from the oracle's ``expected``: {key: got's value}, the keys
    ("exit",), ("stdout", label) (a missing line's value is None) and ("tree", path)."""
    out = {}
    if got.returncode != expected.returncode:
        out["exit",] = got.returncode
    want, have = _stdout_items(expected.stdout), _stdout_items(got.stdout)
    for label in set(want) | set(have):
        if want.get(label) != have.get(label):
            out["stdout", label] = have.get(label)
    for path in set(expected.tree) | set(got.tree):
        if expected.tree.get(path) != got.tree.get(path):
            out["tree", path] = got.tree.get(path)
    return out


def unexplained(expected, plain, ours, translate=None):
    """The differences of selfhost's run ``ours`` from the oracle's that the plain host's run
    ``plain`` does not show with the same value: [(key, ours' value, plain's value)]. (An
    empty list: every way selfhost on the host differs from wasmtime is the host's own.)
    ``translate`` (old, new) replaces old by new in the plain host's stdout first: what the
    wasi-libc inside selfhost.wasm makes of a host's answer (e.g. fdatasync's ENOTCAPABLE
    becomes EBADF)."""
    if translate:
        plain = harness.Outcome(plain.returncode, plain.stdout.replace(*(t.encode() for t in
                                                                         translate)),
                                plain.stderr, plain.tree)
    theirs = differences(expected, plain)
    missing = object()
    return sorted(((key, value, theirs.get(key)) for key, value in
                   differences(expected, ours).items() if theirs.get(key, missing) != value),
                  key=repr)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.plain_host",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--host", action="append", choices=HOSTS, help="default: both")
    parser.add_argument("names", nargs="+")
    ns = parser.parse_args(argv)
    for name in ns.names:
        if name not in programs():
            parser.error("no conformance program %s" % name)
        spec = harness.parse_header(programs()[name].source)
        expected = harness.oracle(name, build(programs()[name]), spec)
        for host in ns.host or HOSTS:
            got = run_plain(host, name)
            diffs = harness.compare(expected, got, spec)
            print("%-28s plain %-7s %s" % (name, host, "DIFFERS" if diffs else "same as wasmtime"))
            for line in diffs:
                print("    " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
