"""Checkpoint, restore and live migration across host runtimes (host/commands/).

The app is tests/ckpt_apps/stateful.c, compiled here (tests/.cache/ckpt/) with zig: each step
mixes a 1 MiB array, updates float state, appends to an output file kept open, prints a line; it
recurses 3000 deep every 5th step and grows memory every 7th. With CKPT_DIR it asks selfhost for
a checkpoint after every step (magic path), so each phase of a chain runs exactly one step.

The reference is the same app run uninterrupted by wasmtime itself (launch.run_app_direct): the
stdout and the output file of every interrupted run must be byte-identical to it.

Cases on Wasm runtimes are skipped when build/selfhost.wasm is missing, unless
SELFHOST_REQUIRE_BUILD=1 (then they fail).
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import support

from host import launch

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "ckpt_apps" / "stateful.c"
CACHE = ROOT / "tests" / ".cache" / "ckpt"
WASM_HOSTS = ("wasmtime", "wasmtime-cli", "wasmer", "node")
EXIT_CHECKPOINTED = 75
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


# --- helpers ---------------------------------------------------------------------------------

def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def selfhost(*args, timeout=180, env=None):
    """`python -m host.cli ARGS` as the console script runs it (``env``: variables to add);
    -> CompletedProcess (bytes)."""
    return subprocess.run([sys.executable, "-m", "host.cli"] + [str(a) for a in args],
                          capture_output=True, env=dict(_env(), **(env or {})), cwd=ROOT,
                          timeout=timeout)


def selfhost_popen(*args):
    return subprocess.Popen([sys.executable, "-m", "host.cli"] + [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=ROOT)


def clean_error(proc, code=1):
    err = proc.stderr.decode()
    assert proc.returncode == code, err
    assert "Traceback" not in err, err
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("selfhost: error: "), err
    return lines[0]


def _compile(out, strip):
    """stateful.c, stripped or with its name section (cached by content in out's folder)."""
    pytest.importorskip("ziglang")
    flags = support.WASI_CFLAGS if strip else [f for f in support.WASI_CFLAGS if f != "-s"]
    built = support.build_c(SOURCE, out.parent / ("strip" if strip else "named"), flags)
    return built


@pytest.fixture(scope="module")
def app():
    return _compile(CACHE / "stateful.wasm", strip=True)


@pytest.fixture(scope="module")
def named_app():
    """The same app with its name section (for inspect), hence another module hash."""
    return _compile(CACHE / "stateful-names.wasm", strip=False)


@pytest.fixture
def need_build():
    return support.require_build()


_refs = {}


def reference(app, args):
    """(stdout, output file) of an uninterrupted run under wasmtime itself. args are the app's
    args with the output file as /data/out.txt and CKPT_DIR (if any) /data."""
    key = (str(app), tuple(args))
    if key not in _refs:
        d = CACHE / ("ref-%s" % hashlib.sha1(repr(key).encode()).hexdigest()[:12])
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        res = launch.run_app_direct(app, args, dirs=[(str(d), "/data")], timeout=120)
        assert res.returncode == 0, res.stderr
        _refs[key] = (res.stdout, (d / "out.txt").read_bytes())
        shutil.rmtree(d, ignore_errors=True)
    return _refs[key]


def data_dir(tmp_path, name="data"):
    d = tmp_path / name
    d.mkdir()
    return d


# --- (a) one migration between every ordered pair of Wasm hosts -------------------------------

@pytest.mark.parametrize("source, target", [(a, b) for a in WASM_HOSTS for b in WASM_HOSTS
                                            if a != b])
def test_migrate_between_hosts(need_build, app, tmp_path, source, target):
    args = ["/data/out.txt", "3", "/data"]       # the app asks after step 0 (and later again)
    ref_out, ref_file = reference(app, args)
    d = data_dir(tmp_path)
    keep = tmp_path / "kept.snap"
    proc = selfhost("migrate", "--from", source, "--to", target, "--keep-snapshot", keep,
                    "--dir", "%s::/data" % d, app, "--", *args)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert proc.stdout == ref_out
    assert (d / "out.txt").read_bytes() == ref_file
    assert not (d / ".selfhost-checkpoint").exists()     # the magic path is never created
    m = re.search(r"migrate %s -> %s: downtime ([0-9.]+) s .*snapshot (\d+) bytes"
                  % (source, target), err)
    assert m, err
    assert 0 < float(m.group(1)) < 60
    assert int(m.group(2)) == keep.stat().st_size > 0


# --- (b) a chain of 20 migrations, round-robin over the Wasm hosts --------------------------

def test_chain_of_twenty_migrations(need_build, app, tmp_path):
    steps = 20
    args = ["/data/out.txt", str(steps), "/data"]
    ref_out, ref_file = reference(app, args)
    d = data_dir(tmp_path)
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    dir_opt = "%s::/data" % d
    out = []
    proc = selfhost("run", "--runtime", WASM_HOSTS[0], "--dir", dir_opt,
                    "--snapshot", snaps / "s0.snap", app, *args)
    assert proc.returncode == EXIT_CHECKPOINTED, proc.stderr.decode()
    out.append(proc.stdout)
    hosts_used = []
    for k in range(1, steps + 1):
        host = WASM_HOSTS[k % len(WASM_HOSTS)]
        hosts_used.append(host)
        proc = selfhost("restore", "--runtime", host, "--dir", dir_opt,
                        "--snapshot", snaps / ("s%d.snap" % k), snaps / ("s%d.snap" % (k - 1)),
                        app)
        expected = 0 if k == steps else EXIT_CHECKPOINTED      # the last phase just finishes
        assert proc.returncode == expected, (k, host, proc.stderr.decode())
        assert proc.stdout.count(b"\n") == 1, (k, host, proc.stdout)   # exactly one step each
        out.append(proc.stdout)
    assert len(hosts_used) == 20 and set(hosts_used) == set(WASM_HOSTS)
    assert b"".join(out) == ref_out
    assert (d / "out.txt").read_bytes() == ref_file


# --- (c) --after: checkpoint by time, native -> wasmtime --------------------------------------

def test_migrate_after_seconds_native_to_wasmtime(need_build, app, tmp_path):
    # no CKPT_DIR: only --after stops it. With tier 1 and offload, 40 steps ran natively in
    # less than 0.5 s on an idle machine (the app finished first: "nothing to migrate"); 64
    # steps (the app's most) leave --after 0.2 a wide margin
    args = ["/data/out.txt", "64"]
    ref_out, ref_file = reference(app, args)
    d = data_dir(tmp_path)
    proc = selfhost("migrate", "--from", "native", "--to", "wasmtime", "--after", "0.2",
                    "--dir", "%s::/data" % d, app, "--", *args)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "migrate native -> wasmtime: downtime" in err, err
    assert proc.stdout == ref_out
    assert (d / "out.txt").read_bytes() == ref_file


def test_migrate_reports_an_app_that_finishes_first(app, tmp_path):
    d = data_dir(tmp_path)
    proc = selfhost("migrate", "--from", "native", "--to", "native",
                    "--dir", "%s::/data" % d, app, "--", "/data/out.txt", "1")
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"finished on native (exit code 0" in proc.stderr
    assert proc.stdout.endswith(b"\n") and b"done h=" in proc.stdout


# --- (d) `selfhost checkpoint` with a trigger file against a running app ----------------------

@pytest.mark.parametrize("runtime", ["native", "wasmtime"])
def test_checkpoint_command_with_trigger(request, app, tmp_path, runtime):
    if runtime != "native":
        request.getfixturevalue("need_build")
    # enough steps that the app is still running when `selfhost checkpoint` starts (natively
    # ten steps take well under a second)
    args = ["/data/out.txt", "200" if runtime == "native" else "10"]
    ref_out, ref_file = reference(app, args)
    d = data_dir(tmp_path)
    ctl = tmp_path / "ctl"
    ctl.mkdir()
    trigger, snap = ctl / "trigger", ctl / "app.snap"
    run = selfhost_popen("run", "--runtime", runtime, "--dir", "%s::/data" % d,
                         "--checkpoint-trigger", trigger, "--snapshot", snap, app, *args)
    try:
        first = run.stdout.readline()            # it is running: step 0 is out
        assert first.startswith(b"step 0 "), first + run.stderr.read()
        proc = selfhost("checkpoint", trigger, "--snapshot", snap, "--timeout", "60")
        assert proc.returncode == 0, proc.stderr.decode()
        assert re.match(rb"checkpoint written to .*app\.snap \(\d+ bytes\) in [0-9.]+ s\n$",
                        proc.stdout), proc.stdout
        rest, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == EXIT_CHECKPOINTED, err.decode()
    assert not trigger.exists()
    assert not rest.startswith(b"done"), "the checkpoint came too late to test anything"
    # Resume it (on the other one of the two) to the end: the output is the uninterrupted run's.
    other = "wasmtime" if runtime == "native" else "native"
    if other != "native":
        request.getfixturevalue("need_build")
    proc = selfhost("restore", "--runtime", other, "--dir", "%s::/data" % d, snap, app)
    assert proc.returncode == 0, proc.stderr.decode()
    assert first + rest + proc.stdout == ref_out
    assert (d / "out.txt").read_bytes() == ref_file


def test_checkpoint_command_times_out_cleanly(tmp_path):
    trigger = tmp_path / "trigger"
    start = time.monotonic()
    proc = selfhost("checkpoint", trigger, "--snapshot", tmp_path / "x.snap", "--timeout", "0.3")
    line = clean_error(proc)
    assert "no checkpoint within 0.3 s" in line
    assert time.monotonic() - start < 30
    assert not trigger.exists()                  # the request is withdrawn


def test_trigger_is_refused_on_wasmer(app, tmp_path):
    proc = selfhost("run", "--runtime", "wasmer", "--checkpoint-trigger", tmp_path / "t",
                    app, "x")
    line = clean_error(proc, 2)
    assert "--checkpoint-trigger does not work with --runtime wasmer" in line
    proc = selfhost("run", "--runtime", "wasmer", "--restore", tmp_path / "s.snap",
                    "--wait-for-snapshot", app)
    line = clean_error(proc, 2)
    assert "--wait-for-snapshot does not work with --runtime wasmer" in line


# --- pre-copy: the target prepared while the source runs --------------------------------------

def test_migrate_precopy_and_not(app, tmp_path):
    """Pre-copy (the default) and --no-precopy both give the uninterrupted run's output; only
    the first says the target was prepared during the run."""
    args = ["/data/out.txt", "3", "/data"]
    ref_out, ref_file = reference(app, args)
    for flags in ([], ["--no-precopy"]):
        d = data_dir(tmp_path, "data%d" % len(flags))
        proc = selfhost("migrate", *flags, "--from", "native", "--to", "native",
                        "--dir", "%s::/data" % d, app, "--", *args)
        err = proc.stderr.decode()
        assert proc.returncode == 0, err
        assert ("target prepared during the run" in err) == (not flags), err
        assert proc.stdout == ref_out
        assert (d / "out.txt").read_bytes() == ref_file


def test_restore_waits_for_its_snapshot(named_app, named_snapshot, tmp_path):
    """--wait-for-snapshot: started before the snapshot exists, the restore waits, then
    resumes once it is renamed into place; without --restore it is a usage error."""
    snap, d, _stats = named_snapshot
    ref_out, _ref_file = reference(named_app, ["/data/out.txt", "3", "/data"])
    d2 = tmp_path / "data"
    shutil.copytree(d, d2)
    late = tmp_path / "late.snap"
    proc = subprocess.Popen([sys.executable, "-m", "selfhost", "--dir", "%s::/data" % d2,
                             "--restore", str(late), "--wait-for-snapshot", "--snapshot",
                             str(tmp_path / "next.snap"), str(named_app)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=ROOT)
    try:
        time.sleep(1.0)
        assert proc.poll() is None, proc.communicate()      # ready, and waiting
        shutil.copyfile(snap, tmp_path / "late.tmp")
        os.rename(tmp_path / "late.tmp", late)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == EXIT_CHECKPOINTED, err.decode()   # the app asks again: step 1
    assert out == ref_out.split(b"\n")[1] + b"\n"
    proc = subprocess.run([sys.executable, "-m", "selfhost", "--wait-for-snapshot",
                           str(named_app)], capture_output=True, env=_env(), cwd=ROOT)
    assert "--wait-for-snapshot goes with --restore SNAP" in clean_error(proc, 2)


# --- a snapshot taken natively, for inspect and the refusals ----------------------------------

@pytest.fixture(scope="module")
def named_snapshot(named_app, tmp_path_factory):
    """A snapshot of stateful-names.wasm after step 0 (native run, magic-path request)."""
    base = tmp_path_factory.mktemp("named")
    d = base / "data"
    d.mkdir()
    snap = base / "app.snap"
    stats = base / "stats.json"
    proc = selfhost("run", "--runtime", "native", "--dir", "%s::/data" % d, "--snapshot", snap,
                    "--stats", stats, named_app, "/data/out.txt", "3", "/data")
    assert proc.returncode == EXIT_CHECKPOINTED, proc.stderr.decode()
    assert proc.stdout.startswith(b"step 0 ") and proc.stdout.count(b"\n") == 1
    return snap, d, stats


def test_inspect_text_and_json(named_app, app, named_snapshot):
    snap, _d, _stats = named_snapshot
    proc = selfhost("inspect", "--module", named_app, snap)
    text = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "checksum ok" in text
    assert "module sha256 %s" % launch.file_sha256(named_app) in text
    assert re.search(r"#0 _start pc=0x[0-9a-f]+", text), text      # from the name section
    assert "func[" not in text.split("globals:")[0], text            # every frame is named
    assert "module %s: matches" % named_app in text

    proc = selfhost("inspect", "--json", "--module", named_app, snap)
    assert proc.returncode == 0, proc.stderr.decode()
    view = json.loads(proc.stdout)
    assert view["ok"] and view["checksum_ok"] and view["module_matches"]
    assert view["size"] == snap.stat().st_size
    assert view["frames"] and any(f["name"] for f in view["frames"])
    assert view["memories"][0]["bytes"] >= (1 << 20)         # the 1 MiB static array
    assert view["wasi"]["preopens"] and view["wasi"]["preopens"][0][1] == "/data"

    # Another module: reported, non-zero; without --module: no names, still fine.
    proc = selfhost("inspect", "--module", app, snap)
    assert proc.returncode == 1
    assert b"MISMATCH" in proc.stdout
    proc = selfhost("inspect", snap)
    assert proc.returncode == 0 and b"checksum ok" in proc.stdout
    assert b"#0 func[" in proc.stdout                    # no module given: no names


def test_stats_json_of_a_checkpoint(named_snapshot):
    from host.commands.common import read_stats, written_at
    _snap, _d, stats = named_snapshot
    s = read_stats(stats)
    assert s, "no --stats JSON written"
    assert written_at(s) is not None and abs(written_at(s) - time.time()) < 600, s


# --- (f) refusals: corrupt snapshot, snapshot of another module, missing --dir ----------------

def test_restore_refuses_a_corrupt_snapshot(named_app, named_snapshot, tmp_path):
    snap, d, _stats = named_snapshot
    bad = tmp_path / "bad.snap"
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    proc = selfhost("restore", "--runtime", "native", "--dir", "%s::/data" % d, bad, named_app)
    line = clean_error(proc)
    assert "corrupt" in line and len(set(HEX64.findall(line))) == 2, line

    proc = selfhost("inspect", bad)
    assert proc.returncode == 1 and b"checksum BAD" in proc.stdout


def test_restore_refuses_a_snapshot_of_another_module(app, named_app, named_snapshot):
    snap, d, _stats = named_snapshot
    proc = selfhost("restore", "--runtime", "native", "--dir", "%s::/data" % d, snap, app)
    line = clean_error(proc)
    hashes = HEX64.findall(line)
    assert "another module" in line
    assert hashes == [launch.file_sha256(named_app), launch.file_sha256(app)], line


@pytest.mark.parametrize("runtime", ["native", "wasmtime"])
def test_restore_refusals_come_before_any_runtime(app, named_app, named_snapshot, tmp_path,
                                                  runtime):
    snap, d, _stats = named_snapshot
    # /data not given, and no run of this user (an empty cache) wrote the snapshot: refused.
    proc = selfhost("restore", "--runtime", runtime, snap, named_app,
                    env={"SELFHOST_CACHE": str(tmp_path / "cache")})
    assert "--dir HOST::/data" in clean_error(proc)
    proc = selfhost("restore", "--runtime", runtime, tmp_path / "none.snap", named_app)
    assert "no such file" in clean_error(proc)
    not_snap = tmp_path / "x.snap"
    not_snap.write_bytes(b"hello")
    proc = selfhost("restore", "--runtime", runtime, not_snap, named_app)
    assert "bad magic" in clean_error(proc)
    proc = selfhost("restore", "--runtime", runtime, "--frobnicate", snap, named_app)
    assert "unrecognized arguments: --frobnicate" in clean_error(proc, 2)


def test_restore_native_finishes_the_run(named_app, named_snapshot, tmp_path):
    snap, d, _stats = named_snapshot
    ref_out, ref_file = reference(named_app, ["/data/out.txt", "3", "/data"])
    # Work on copies: the fixture's snapshot and output file are shared.
    d2 = tmp_path / "data"
    shutil.copytree(d, d2)
    s2 = tmp_path / "s.snap"
    shutil.copyfile(snap, s2)
    outs = [ref_out.split(b"\n", 1)[0] + b"\n"]
    for _ in range(3):
        proc = selfhost("restore", "--runtime", "native", "--dir", "%s::/data" % d2, s2,
                        named_app)        # the next checkpoint overwrites s2 (the default)
        outs.append(proc.stdout)
        if proc.returncode != EXIT_CHECKPOINTED:
            break
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"".join(outs) == ref_out
    assert (d2 / "out.txt").read_bytes() == ref_file


# --- path translation (no runs) ---------------------------------------------------------------

def test_checkpoint_paths_are_translated(tmp_path):
    from host.commands.common import translate_options
    from host.mounts import Mounts
    from host import runtimes
    data = tmp_path / "data"
    data.mkdir()
    ctl = tmp_path / "ctl"
    ctl.mkdir()
    mounts = Mounts([(str(data), "/data")])
    tokens = translate_options(["--snapshot", str(ctl / "a.snap"), "--stats=%s" % (data / "s"),
                                "--restore", str(tmp_path / "r.snap"), "--invoke", "f"],
                               mounts)
    assert tokens == ["--snapshot", "/.selfhost-ckpt/a.snap", "--stats", "/data/s",
                      "--restore", "/.selfhost-ckpt1/r.snap", "--invoke", "f"]
    private = [(m.host, m.guest) for m in mounts.mounts if m.private]
    assert private == [(str(ctl.resolve()), "/.selfhost-ckpt"),
                       (str(tmp_path.resolve()), "/.selfhost-ckpt1")]
    # The native runtime sees host paths: the view maps the guest paths back (app args stay).
    view = mounts.view(runtimes.get("native"))
    assert view.rewrite_argv(tokens + ["/.selfhost-ckpt1/a.wasm", "/data/x"]) == \
        ["--snapshot", str(ctl.resolve() / "a.snap"), "--stats", str(data / "s"),
         "--restore", str(tmp_path.resolve() / "r.snap"), "--invoke", "f",
         str(tmp_path.resolve() / "a.wasm"), "/data/x"]
    with pytest.raises(Exception, match="does not exist"):
        mounts.guest_file(str(tmp_path / "nope" / "a.snap"), "--snapshot")
