"""The parts of `selfhost cluster` that need no Ray: output streams put together from chunks,
the file tarballs, the process-group helpers, the guard, and the CLI's errors without a cluster."""
import hashlib
import os
import signal
import subprocess
import sys
import tarfile
import io
import time
from pathlib import Path

import pytest

from checkpoint import Snapshot, encode
from host import launch
from host.cluster import agent, files, procs
from host.runtimes import NAMES as RUNTIMES
from host.cluster.streams import Stream
from host.commands.cluster import split_submit

ROOT = Path(__file__).resolve().parents[2]


# --- streams ---------------------------------------------------------------------------------

def test_stream_keeps_the_first_copy_of_each_offset():
    s = Stream()
    s.add(0, b"hello ", run=1)
    s.add(6, b"world", run=1)
    s.add(3, b"LO WORLD!", run=2)       # a restart from an older snapshot: overlaps, then more
    assert s.read() == b"hello world!"
    assert s.contiguous() == 12
    assert s.read(6) == b"world!"


def test_stream_out_of_order_and_holes():
    s = Stream()
    s.add(10, b"klm", run=1)
    assert s.read() == b"" and s.contiguous() == 0
    assert s.holes(13) == [(0, 10)]
    s.add(0, b"abcd", run=1)
    assert s.holes(13) == [(4, 10)]
    s.add(2, b"CDEFGHIJ", run=2)        # fills the hole, keeps "cd" from the first copy
    assert s.read() == b"abcdEFGHIJklm"
    assert s.holes(13) == []
    assert s.holes(15) == [(13, 15)]


def test_stream_drop_run_rebuilds_without_it():
    s = Stream()
    s.add(0, b"abc", run=1)
    s.add(3, b"selfhost: error: restore failed\n", run=2)
    s.add(3, b"def", run=3)
    assert s.read() == b"abcselfhost: error: restore failed\n"
    s.drop_run(2)
    assert s.read() == b"abcdef"


def test_stream_many_small_chunks_coalesce():
    s = Stream()
    data = bytes(range(256)) * 8
    for off in range(len(data) - 1, -1, -1):   # backwards, one byte each
        s.add(off, data[off:off + 1])
    assert s.read() == data
    assert len(s._spans) == 1


# --- files -----------------------------------------------------------------------------------

def test_pack_and_unpack_dirs_round_trip(tmp_path):
    a = tmp_path / "a"
    (a / "sub").mkdir(parents=True)
    (a / "x.txt").write_bytes(b"x" * 1000)
    (a / "sub" / "y.bin").write_bytes(bytes(range(256)))
    os.symlink("x.txt", a / "link")
    b = tmp_path / "b"
    b.mkdir()
    data = files.pack_dirs([str(a), str(b)])
    out = files.unpack_dirs(data, str(tmp_path / "out"), 3)
    assert [os.path.basename(p) for p in out] == ["d0", "d1", "d2"]
    assert (Path(out[0]) / "x.txt").read_bytes() == b"x" * 1000
    assert (Path(out[0]) / "sub" / "y.bin").read_bytes() == bytes(range(256))
    assert os.readlink(Path(out[0]) / "link") == "x.txt"
    assert os.listdir(out[1]) == [] and os.listdir(out[2]) == []


def test_unpack_refuses_paths_that_leave_the_root(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(files.FilesError):
        files.unpack_dirs(buf.getvalue(), str(tmp_path / "root"), 1)
    assert not (tmp_path / "escape.txt").exists()


def test_unpack_to_names_dirs_by_guest(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / "f").write_text("1")
    b = tmp_path / "b"
    b.mkdir()
    (b / "g").write_text("2")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "data").mkdir()
    (dest / "data" / "f").write_text("old")
    paths = files.unpack_to(files.pack_dirs([str(a), str(b)]), ["data", "/srv/x"], str(dest))
    assert paths == [str(dest / "data"), str(dest / "srv" / "x")]
    assert (dest / "data" / "f").read_text() == "1"
    assert (dest / "srv" / "x" / "g").read_text() == "2"
    assert not (dest / ".selfhost-unpack").exists()


def _snapshot(sha, written):
    wasi = {"args": ["app"], "env": [], "preopens": [["/x", "data"]], "fds": {}, "free": [],
            "written": written, "stdin_read": 0}
    return encode(Snapshot(module_sha256=sha, wasi=wasi))


def test_snapshot_output_counts():
    sha = hashlib.sha256(b"module").digest()
    data = _snapshot(sha, {"1": 120, "2": 7})
    assert files.snapshot_output_counts(data, sha.hex()) == {1: 120, 2: 7}
    assert files.snapshot_output_counts(data) == {1: 120, 2: 7}
    with pytest.raises(files.FilesError, match="another module|different module|module"):
        files.snapshot_output_counts(data, hashlib.sha256(b"other").hexdigest())
    with pytest.raises(files.FilesError, match="written"):        # checked by wasi_state
        files.snapshot_output_counts(_snapshot(sha, {"1": -1, "2": 0}))


def test_snapshot_output_counts_refuses_a_damaged_snapshot():
    with pytest.raises(files.FilesError):
        files.snapshot_output_counts(b"not a snapshot at all" * 4)
    data = bytearray(_snapshot(hashlib.sha256(b"m").digest(), {"1": 1, "2": 2}))
    data[50] ^= 1
    with pytest.raises(files.FilesError, match="checksum"):
        files.snapshot_output_counts(bytes(data))


# --- the agent's launches: every runtime of host.runtimes, through host.launch ---------------

class _Agent:
    index = 0
    wasmer_segment = 2.0

    def __init__(self, runtime, root):
        self.runtime, self.root = runtime, str(root)


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("restored", [False, True], ids=["run", "restore"])
def test_agent_launches_each_runtime_through_host_launch(runtime, restored, tmp_path,
                                                           monkeypatch):
    """A node's run of an app: selfhost's argv with every path mapped by host/mounts.py (the
    user's directories under their guest names, the module and the checkpoint files in
    private mounts), the trigger on the runtimes that serve it, segments on the others; the
    runtime's own command from host.launch.prepared, started under the guard."""
    if runtime != "native":
        monkeypatch.setenv("SELFHOST_WASM", str(Path(__file__)))    # any file: not started
    monkeypatch.setenv("SELFHOST_WASMTIME_CLI", sys.executable)      # (idem)
    from host.runtimes import wasmtime_cli                            # nothing to precompile
    monkeypatch.setattr(wasmtime_cli, "precompiled", lambda cli, module, cache: module)
    spec = {"app_id": "app-1", "run": 1, "name": "ledger.wasm", "args": ["data", "3"],
            "guests": ["data"], "env": ["K=V"], "counts": {"1": 5, "2": 0}}
    snap = b"snapshot bytes" if restored else None
    run = agent.Run(_Agent(runtime, tmp_path), spec, b"\0asm", files.pack_dirs([]), snap)
    mounts, argv = run.argv()
    trigger = runtime != "wasmer"
    assert run.continuous == trigger == agent.serves_trigger(runtime)
    assert mounts.user_pairs() == [(run.dirs[0], "data")]
    guest_app = argv[-3] if not restored else argv[-1]
    assert guest_app.startswith("/.selfhost-app") and guest_app.endswith("/ledger.wasm")
    assert all(not a.startswith(str(tmp_path)) for a in argv), argv     # guest paths only
    assert ("--checkpoint-trigger" in argv) == trigger
    assert ("--checkpoint-continue" in argv) == trigger
    assert ("--checkpoint-after" in argv) == (not trigger)
    if restored:
        assert argv[argv.index("--restore") + 1].startswith("/.selfhost-ckpt")
        assert argv[-2:] == ["--", guest_app]
    else:
        assert argv[-6:] == ["--argv0", "ledger.wasm", "--", guest_app, "data", "3"]
        assert argv[argv.index("--env") + 1] == "K=V"
    with launch.prepared(runtime, argv, dirs=mounts.user_pairs(),
                         private_dirs=mounts.private_pairs()) as (rt, cmd):
        assert rt.name == runtime and cmd.argv
    assert agent.GUARD[1].endswith(os.path.join("host", "cluster", "guard.py"))


def test_runtime_problem_names_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("SELFHOST_WASM", str(tmp_path / "missing.wasm"))
    assert "missing.wasm not found" in agent.runtime_problem("wasmtime")
    assert agent.runtime_problem("native") is None
    monkeypatch.setenv("SELFHOST_WASM", str(Path(__file__)))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert "node not found" in agent.runtime_problem("node")


# --- process groups and the guard ------------------------------------------------------------

def _state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_freeze_and_thaw_a_process_group():
    proc = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(0.01)"],
                            start_new_session=True)
    try:
        assert procs.freeze(proc.pid)
        assert _state(proc.pid) in "Tt"
        assert procs.thaw(proc.pid)
        deadline = time.time() + 5
        while _state(proc.pid) in "Tt" and time.time() < deadline:
            time.sleep(0.01)
        assert _state(proc.pid) not in "Tt"
    finally:
        procs.kill(proc.pid)
        proc.wait()


def test_guard_kills_its_group_when_its_parent_dies(tmp_path):
    """A parent starts `guard sleep`; SIGKILL the parent: the guard and the sleep die too."""
    pidfile = tmp_path / "pids"
    child_py = tmp_path / "child.py"
    child_py.write_text("import os, sys, time\n"
                        "open(sys.argv[1], 'w').write(str(os.getpid()))\n"
                        "time.sleep(60)\n")
    parent_code = ("import subprocess, sys, time\n"
                   "subprocess.Popen([sys.executable, '-m', 'host.cluster.guard', sys.executable,"
                   " sys.argv[1], sys.argv[2]], start_new_session=True)\n"
                   "time.sleep(60)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    parent = subprocess.Popen([sys.executable, "-c", parent_code, str(child_py), str(pidfile)],
                              env=env)
    deadline = time.time() + 30
    while not (pidfile.exists() and pidfile.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    child = int(pidfile.read_text())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            if _state(child) == "Z":
                break
        except OSError:
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the guarded process outlived the guard's parent")


def test_guard_passes_the_exit_code_on():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-m", "host.cluster.guard", sys.executable, "-c",
                          "import sys; sys.exit(7)"], env=env, start_new_session=True)
    assert res.returncode == 7


# --- the CLI without a cluster ---------------------------------------------------------------

def test_split_submit():
    assert split_submit(["--node", "1", "--dir", "a::b", "app.wasm", "--", "-x", "y"]) == \
        (["--node", "1", "--dir", "a::b"], "app.wasm", ["-x", "y"])
    assert split_submit(["--env", "K=V", "app.wasm", "--node"]) == \
        (["--env", "K=V"], "app.wasm", ["--node"])
    assert split_submit(["--", "app.wasm", "--node"]) == ([], "app.wasm", ["--node"])
    assert split_submit(["--runtime", "node"]) == (["--runtime", "node"], None, [])


def _cluster(args, state_dir):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SELFHOST_CLUSTER_DIR=str(state_dir))
    return subprocess.run([sys.executable, "-m", "host.cli", "cluster"] + args, env=env,
                          capture_output=True, text=True, timeout=120)


def _one_error_line(res, code):
    assert res.returncode == code, (res.returncode, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("selfhost: error: "), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


@pytest.mark.parametrize("args", [["status"], ["wait", "app-1"], ["migrate", "app-1", "--to", "1"],
                                  ["evacuate", "0"], ["stop"]])
def test_no_cluster_running(tmp_path, args):
    line = _one_error_line(_cluster(args, tmp_path), 2)
    assert "no local cluster is running" in line


def test_usage_errors(tmp_path):
    assert "unknown command" in _one_error_line(_cluster(["frobnicate"], tmp_path), 2)
    assert "--nodes" in _one_error_line(_cluster(["start", "--nodes", "wasmtime,bogus"],
                                                 tmp_path), 2)
    assert "no such directory" in _one_error_line(
        _cluster(["submit", "--dir", str(tmp_path / "missing"), "app.wasm"], tmp_path), 2)
    assert "missing APP.wasm" in _one_error_line(_cluster(["submit", "--node", "0"], tmp_path), 2)
    assert "--to" in _one_error_line(_cluster(["migrate", "app-1"], tmp_path), 2)
    assert "expected one argument" in _one_error_line(_cluster(["submit", "--node"],
                                                               tmp_path), 2)
    assert "bad --env" in _one_error_line(_cluster(["submit", "--env", "=x", "a.wasm"],
                                                   tmp_path), 2)
    assert _cluster(["--help"], tmp_path).returncode == 0
    assert "cluster" in subprocess.run([sys.executable, "-m", "host.cli", "--help"],
                                       capture_output=True, text=True, cwd=ROOT).stdout


def test_ray_missing_is_one_line(tmp_path):
    """Without Ray (the optional selfhost[cluster] extra), a clear line and exit 2."""
    code = ("import sys; sys.modules['ray'] = None\n"
            "from host.cli import main\n"
            "sys.exit(main(['cluster', 'start', '--nodes', 'native']))")
    env = dict(os.environ, PYTHONPATH=str(ROOT), SELFHOST_CLUSTER_DIR=str(tmp_path))
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert "Ray is not installed: pip install 'selfhost[cluster]'" in _one_error_line(res, 2)


def test_unreachable_address(tmp_path):
    import socket
    with socket.socket() as s:          # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = _one_error_line(_cluster(["status", "--address", "127.0.0.1:%d" % port], tmp_path), 2)
    assert "cannot reach the Ray cluster" in line
