"""Hostile snapshots: a snapshot is untrusted input (its SHA-256 trailer is only a checksum).

Crafted snapshots (huge counts, frames pointing past a function or into an import, wrong
types, a WASI section naming host paths outside the preopens, deep JSON) and mutated-and-
resealed ones, through the API and through the CLI: every one is either refused with
SnapshotError (one line for the user) or resumes as a well-formed state; never another
exception, never a traceback, never a read or write outside the user's directories.
"""
import contextlib
import io
import os
import random
import resource
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import interp
from checkpoint import SnapshotError, against_module, capture, encode, wasi_state
from checkpoint import format as fmt
from checkpoint.snapshot import Frame, MemoryState
from interp import errors
from selfhost import exit_codes
from selfhost.session import Policy, RunError, RunOptions, run_app
from tests.security import snapfuzz, support
from tests.security.support import tree_state

ROOT = Path(__file__).resolve().parent.parent.parent
GUEST = "/data"
EXPECTED = b"r=21 counter=17 file=[before|after] n=12\n"     # what an uninterrupted run prints


def selfhost(args, cwd, timeout=120, limit_as=None):
    def limit():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "selfhost"] + [str(a) for a in args],
                          cwd=cwd, env=env, capture_output=True, timeout=timeout,
                          preexec_fn=limit)


@pytest.fixture(scope="module")
def taken(tmp_path_factory):
    """A real snapshot of snapme (5 frames deep, an open file, a table): (world, app, bytes).
    world/data is the app's directory, world/outside.txt and world/secret/ lie next to it."""
    world = tmp_path_factory.mktemp("world")
    (world / "data").mkdir()
    (world / "outside.txt").write_text("outside\n")
    (world / "secret").mkdir()
    (world / "secret" / "key").write_text("secret key\n")
    app = support.build("snapme")
    r = selfhost(["--dir", "%s::%s" % (world / "data", GUEST), "--snapshot", world / "s.snap",
                  app, GUEST], world)
    assert r.returncode == exit_codes.CHECKPOINTED, r.stderr
    data = (world / "s.snap").read_bytes()
    os.unlink(world / "s.snap")
    return world, app, data


def decoded(taken):
    world, app, data = taken
    return fmt.decode(data)


def fresh_world(tmp_path, taken):
    """A copy of the world as it was when the snapshot was taken."""
    world = tmp_path / "w"
    (world / "data").mkdir(parents=True)
    (world / "data" / "data.txt").write_bytes((taken[0] / "data" / "data.txt").read_bytes())
    (world / "outside.txt").write_text("outside\n")
    (world / "secret").mkdir()
    (world / "secret" / "key").write_text("secret key\n")
    return world


def run_restore(snap_bytes, app, world, limit=None):
    """The selfhost program's own restore path, in process (session.run_app), stopped at its
    first safe point by a 0 s checkpoint timer: -> ("ok", code) | ("refused", message)."""
    snap = world / "in.snap"
    snap.write_bytes(snap_bytes)
    module_bytes = Path(app).read_bytes()
    policy = Policy(str(world / "out.snap"), after_seconds=0.0)
    opts = RunOptions(restore=str(snap))
    out = io.TextIOWrapper(io.BytesIO())
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = run_app(module_bytes, str(app), [], {}, [(str(world / "data"), GUEST)],
                           interp.Config(), policy, opts)
            return "ok", code
        except RunError as e:
            return "refused", str(e)
        except errors.Exit as e:
            return "ok", e.code
        except errors.Trap as e:
            return "trap", e.message
        except errors.WasmError as e:
            return "refused", str(e)


def check_only(snap_bytes, module, preopens):
    """The checkpoint package's checks alone: decode with the module's memory limits, the
    WASI section against the given directories, every field against the module."""
    snap = fmt.decode(snap_bytes, capture.module_sha256(module),
                      against_module.memory_limits(module))
    wasi_state.from_json(snap.wasi, preopens)
    against_module.check(snap, module)
    return snap


# --- the snapshot as taken restores ---------------------------------------------------------

def test_the_untouched_snapshot_restores(taken, tmp_path):
    world = fresh_world(tmp_path, taken)
    (world / "s.snap").write_bytes(taken[2])
    r = selfhost(["--dir", "%s::%s" % (world / "data", GUEST), "--restore", world / "s.snap",
                  taken[1]], world)
    assert r.returncode == 0, r.stderr
    assert r.stdout == EXPECTED


# --- crafted snapshots ------------------------------------------------------------------------

def craft(taken, **changes):
    return encode(replace(decoded(taken), **changes))


def frames_with(taken, n, **changes):
    snap = decoded(taken)
    frames = list(snap.frames)
    frames[n] = replace(frames[n], **changes)
    return encode(replace(snap, frames=frames))


CRAFTED = {
    "no frames": lambda t: craft(t, frames=[]),
    "frame past the last function": lambda t: frames_with(t, -1, func=10 ** 6),
    "frame of an import": lambda t: frames_with(t, -1, func=0),
    "pc outside the function": lambda t: frames_with(t, -1, pc=0xFFFFFF),
    "pc not a resume point": lambda t: frames_with(t, -1, pc=decoded(t).frames[-1].pc + 1),
    "pc of another function's body": lambda t: frames_with(t, -1, pc=decoded(t).frames[0].pc),
    "a local too many": lambda t: frames_with(
        t, -1, locals=decoded(t).frames[-1].locals + [(0x7F, 1)]),
    "a local of the wrong type": lambda t: frames_with(
        t, -1, locals=[(0x7C, 1.0)] + decoded(t).frames[-1].locals[1:]),
    "an operand too many": lambda t: frames_with(
        t, -1, stack=decoded(t).frames[-1].stack + [(0x7F, 1)]),
    "an outer frame not at a call": lambda t: frames_with(t, 0, pc=decoded(t).frames[-1].pc),
    "frames of another call chain": lambda t: craft(
        t, frames=decoded(t).frames[:1] + decoded(t).frames[2:]),
    "100000 frames": lambda t: craft(t, frames=decoded(t).frames * 20000),
    "a funcref past the functions": lambda t: craft(
        t, tables=[replace(decoded(t).tables[0], elements=[10 ** 6] * 8)]),
    "a table too big": lambda t: craft(
        t, tables=[replace(decoded(t).tables[0], elements=[None] * 100000)]),
    "a global too many": lambda t: craft(t, globals=decoded(t).globals + [(0x7F, 0)]),
    "a global of the wrong type": lambda t: craft(t, globals=[(0x7E, 0)]),
    "a memory too many": lambda t: craft(t, memories=decoded(t).memories * 2),
    "a memory below the module's minimum": lambda t: craft(
        t, memories=[MemoryState(1, None, bytes(65536))]),
    "a memory maximum the module does not have": lambda t: craft(t, memories=[
        replace(decoded(t).memories[0], max_pages=decoded(t).memories[0].pages)]),
    "a dropped segment that does not exist": lambda t: craft(t, dropped_datas=[10 ** 6]),
    "a dropped elem that does not exist": lambda t: craft(t, dropped_elems=[5]),
    "deep JSON in the WASI section": lambda t: _raw_json(t, fmt.SEC_WASI,
                                                         b"[" * 200000 + b"]" * 200000),
    "deep JSON in the meta section": lambda t: _raw_json(t, fmt.SEC_META,
                                                         b'{"stats":' + b"[" * 50000
                                                         + b"]" * 50000 + b"}"),
    "a WASI section that is a list": lambda t: craft(t, wasi=[1, 2]),
    "meta stats that are a list": lambda t: _raw_json(t, fmt.SEC_META, b'{"stats": [1]}'),
    "an fd with an unknown field": lambda t: _wasi(t, lambda w: w["fds"]["3"].update(x=1)),
}


def _raw_json(taken, sid, payload):
    header, parts = snapfuzz._split(taken[2])
    return snapfuzz._rebuild(header, [(s, payload if s == sid else p) for s, p in parts])


def _wasi(taken, edit):
    snap = decoded(taken)
    import copy
    w = copy.deepcopy(snap.wasi)
    edit(w)
    return encode(replace(snap, wasi=w))


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_snapshot_is_refused_with_one_line(name, taken, tmp_path):
    world = fresh_world(tmp_path, taken)
    data = CRAFTED[name](taken)
    module = interp.decode(Path(taken[1]).read_bytes())
    with pytest.raises(SnapshotError) as e:
        check_only(data, module, [(str(world / "data"), GUEST)])
    assert "\n" not in str(e.value)
    kind, message = run_restore(data, taken[1], world)
    assert kind == "refused" and "\n" not in message, (kind, message)


# --- the WASI section names host paths ------------------------------------------------------

def _fd_of_data_txt(section):
    return next(n for n, f in section["fds"].items() if f["kind"] == "file")


PATHS_OUT = {
    "an absolute rel": lambda w, n: w["fds"][n].update(rel="/etc/passwd"),
    "a rel climbing out": lambda w, n: w["fds"][n].update(rel="../outside.txt"),
    "a rel climbing far": lambda w, n: w["fds"][n].update(rel="../../../../../../etc/passwd"),
    "a rel through a symlink out": lambda w, n: w["fds"][n].update(rel="link/key"),
    "a root that is no preopen": lambda w, n: w["fds"][n].update(root="/etc", rel="passwd"),
    "a host_path field": lambda w, n: w["fds"][n].update(host_path="/etc/passwd"),
}


@pytest.mark.parametrize("name", sorted(PATHS_OUT))
def test_wasi_section_cannot_name_a_file_outside_the_preopens(name, taken, tmp_path):
    world = fresh_world(tmp_path, taken)
    os.symlink("../secret", world / "data" / "link")
    data = _wasi(taken, lambda w: PATHS_OUT[name](w, _fd_of_data_txt(w)))
    before = tree_state(world)
    kind, message = run_restore(data, taken[1], world)
    assert kind == "refused" and "\n" not in message, (kind, message)
    assert support.outside(tree_state(world), "data", "in.snap", "out.snap") == \
        support.outside(before, "data", "in.snap", "out.snap")


def test_recorded_preopen_host_paths_are_never_opened(taken, tmp_path):
    """The preopens' recorded host directories point elsewhere (/etc, the secret directory):
    the restore uses the directory the user gives for the guest name, and nothing else."""
    world = fresh_world(tmp_path, taken)
    data = _wasi(taken, lambda w: w.update(
        preopens=[[str(world / "secret"), GUEST]] + [[str(world / "secret"), "/other"]] * 0))
    (world / "s.snap").write_bytes(data)
    r = selfhost(["--dir", "%s::%s" % (world / "data", GUEST), "--restore", world / "s.snap",
                  taken[1]], world)
    assert r.returncode == 0, r.stderr
    assert r.stdout == EXPECTED
    assert (world / "secret" / "key").read_text() == "secret key\n"
    assert sorted(os.listdir(world / "secret")) == ["key"]
    data = _wasi(taken, lambda w: w.update(preopens=[["/etc", GUEST]]))
    (world / "s.snap").write_bytes(data)
    r = selfhost(["--restore", world / "s.snap", taken[1]], world)
    assert r.returncode == exit_codes.ERROR and b"--dir" in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1


# --- memory claims ----------------------------------------------------------------------------

def claim_pages(taken, pages, max_pages=None):
    return craft(taken, memories=[MemoryState(pages, max_pages, bytearray(pages * 65536))])


def test_a_small_file_claiming_4_gib_is_bounded(taken, tmp_path):
    """65536 zero pages encode in a few bytes. The module allows that many (it has no maximum),
    so the claim is not refused by its limits; but the restore allocates the memory once,
    and under an address-space limit it is a one-line error, not a crash."""
    world = fresh_world(tmp_path, taken)
    snap = fmt.decode(taken[2])
    mem = snap.memories[0]
    data = encode(replace(snap, memories=[MemoryState(mem.pages, None, mem.data)]))
    header, parts = snapfuzz._split(data)
    # rewrite the memory section by hand: 65536 pages, zero-run codec, no segments
    memsec = (b"\x01\x00\x00\x00" + fmt._MEMORY.pack(65536, 0, 0, 1, 8) + bytes(8))
    small = snapfuzz._rebuild(header, [(s, memsec if s == fmt.SEC_MEMORIES else p)
                                       for s, p in parts])
    assert len(small) < 64 * 1024
    (world / "s.snap").write_bytes(small)
    r = selfhost(["--dir", "%s::%s" % (world / "data", GUEST), "--restore", world / "s.snap",
                  taken[1]], world, limit_as=2 << 30)
    assert r.returncode == exit_codes.ERROR, r.stderr
    assert r.stderr.count(b"\n") == 1 and b"Traceback" not in r.stderr, r.stderr


def test_a_memory_claim_is_allocated_once(taken, tmp_path):
    """512 MiB of claimed (zero) memory: the restore's peak is about that, not three copies."""
    world = fresh_world(tmp_path, taken)
    pages = 8192
    snap = fmt.decode(taken[2])
    big = bytearray(pages * 65536)
    big[:len(snap.memories[0].data)] = snap.memories[0].data
    (world / "s.snap").write_bytes(encode(replace(snap, memories=[MemoryState(pages, None,
                                                                              big)])))
    del big
    # VmHWM is this address space's own peak; ru_maxrss would carry over pytest's own peak
    # through the fork and exec that started the process
    code = ("import sys; from selfhost.cli import main; rc = main(sys.argv[1:]); "
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0],"
            " file=sys.stderr); sys.exit(rc)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", code, "--dir", "%s::%s" % (world / "data", GUEST),
                        "--restore", str(world / "s.snap"), str(taken[1])], cwd=world, env=env,
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    peak_kib = int(r.stderr.split()[-1])
    assert peak_kib < (pages * 64) * 1.5 + 200 * 1024, peak_kib


def test_a_memory_over_the_module_maximum_is_refused_before_allocating(taken):
    module = interp.decode(Path(taken[1]).read_bytes())
    limits = [(257, 300)]            # as if the module had a maximum of 300 pages
    data = claim_pages(taken, 301)
    with pytest.raises(SnapshotError, match="allows 257 to 300"):
        fmt.decode(data, None, limits)
    assert against_module.memory_limits(module) == [(257, 65536)]


# --- mutated and resealed ---------------------------------------------------------------------

def fuzz_api(taken, tmp_path, count, seed):
    """``count`` mutations through the checkpoint API and the program's restore path:
    -> {outcome: number}; raises on any exception other than the allowed ones."""
    world = fresh_world(tmp_path, taken)
    module = interp.decode(Path(taken[1]).read_bytes())
    rng = random.Random(seed)
    outcomes = {}
    for i in range(count):
        data = snapfuzz.mutate(taken[2], rng)
        try:
            check_only(data, module, [(str(world / "data"), GUEST)])
            checked = "passes checks"
        except SnapshotError as e:
            assert "\n" not in str(e), (i, e)
            checked = "refused"
        kind, message = run_restore(data, taken[1], world)
        assert "\n" not in str(message), (i, message)
        if checked == "refused":
            assert kind == "refused", (i, kind, message)
        key = "%s/%s" % (checked, kind)
        outcomes[key] = outcomes.get(key, 0) + 1
        (world / "data" / "data.txt").write_bytes(b"before|")
    return outcomes


def test_mutated_snapshots_through_the_api(taken, tmp_path):
    outcomes = fuzz_api(taken, tmp_path, 300, seed=15)
    assert sum(outcomes.values()) == 300
    assert outcomes.get("refused/refused", 0) > 100, outcomes


@pytest.mark.slow
def test_many_mutated_snapshots_through_the_api(taken, tmp_path):
    outcomes = fuzz_api(taken, tmp_path, 3000, seed=1500)
    print("API fuzz outcomes:", outcomes)
    assert sum(outcomes.values()) == 3000


@pytest.mark.slow
def test_mutated_snapshots_through_the_cli(taken, tmp_path):
    """A few hundred through `selfhost restore --runtime native` (the host CLI's own checks,
    then the program's): exit 0/1/134, one line on stderr when refused, never a traceback."""
    world = fresh_world(tmp_path, taken)
    rng = random.Random(77)
    codes = {}
    for i in range(300):
        (world / "s.snap").write_bytes(snapfuzz.mutate(taken[2], rng))
        (world / "data" / "data.txt").write_bytes(b"before|")
        try:
            r = support.selfhost_cli(["restore", "--runtime", "native", "--dir",
                                      "%s::%s" % (world / "data", GUEST), str(world / "s.snap"),
                                      str(taken[1])], cwd=str(world), timeout=60)
        except subprocess.TimeoutExpired:
            codes["timeout"] = codes.get("timeout", 0) + 1
            continue
        text = support.no_traceback(r)
        assert r.returncode in (0, exit_codes.ERROR, exit_codes.TRAP), (i, r.returncode, text)
        if r.returncode == exit_codes.ERROR:
            assert text.count("\n") == 1 and text.startswith("selfhost: error:"), (i, text)
        codes[r.returncode] = codes.get(r.returncode, 0) + 1
    print("CLI fuzz exit codes:", codes)
    assert codes.get(exit_codes.ERROR, 0) > 100, codes
