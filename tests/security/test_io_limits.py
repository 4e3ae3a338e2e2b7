"""Output and command lines of any size, on every runtime.

* stdout/stderr: an app writing 200 MiB gets every byte through, exit code 0, with bounded
  memory (the bytes are streamed: the test reads them as they come and measures the run's
  peak RSS). Node's launcher once lost all but 5.4 MB (exit 5): importing 'node:process' made
  libuv set O_NONBLOCK on the stdio pipes, and node:wasi's write() then failed with EAGAIN.
* argv and environment: 1 MiB of either reaches the app (wasmtime passes that much to a
  guest); the launchers hand them to their runners through files, and the wasmtime-cli
  runtime hands selfhost.wasm its own command line with --args-file.
"""
import hashlib
import os
import subprocess
import sys
import time

import pytest

from tests import support as common
from tests.security import support
from tests.security.support import RUNTIMES

BIG = 200 << 20
CHUNK = bytes((ord("a") + i % 26) for i in range(1 << 16))


def expected_digest(n):
    h = hashlib.sha256()
    full, rest = divmod(n, len(CHUNK))
    for _ in range(full):
        h.update(CHUNK)
    h.update(CHUNK[:rest])
    return h.hexdigest()


# runs a command, then writes the peak RSS (KiB) of the largest process it started to a file
PEAK_RSS = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[2:]); "
            "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN)"
            ".ru_maxrss)); sys.exit(rc)")


def stream_run(runtime, nbytes, fd):
    """`selfhost run --runtime R bigout N FD`, the chosen stream read as it comes: -> (exit
    code, bytes on it, sha256 of them, seconds, the other stream's text, peak RSS KiB of the
    run's processes)."""
    if runtime != "native":
        common.require_build()
    app = support.build("bigout")
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bigout-rss-%d" % os.getpid())
    cmd = [sys.executable, "-c", PEAK_RSS, rss_file, sys.executable, "-m", "host.cli", "run",
           "--runtime", runtime, str(app), "--", str(nbytes), str(fd)]
    env = dict(os.environ, PYTHONPATH=str(support.ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    ours, other = (proc.stdout, proc.stderr) if fd == 1 else (proc.stderr, proc.stdout)
    h = hashlib.sha256()
    n = 0
    while True:
        chunk = ours.read(1 << 20)
        if not chunk:
            break
        n += len(chunk)
        h.update(chunk)
    rest = other.read()
    code = proc.wait()
    seconds = time.perf_counter() - t0
    with open(rss_file) as f:
        peak = int(f.read())
    os.unlink(rss_file)
    return code, n, h.hexdigest(), seconds, rest.decode("utf-8", "replace"), peak


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("fd", [1, 2])
def test_16_mib_of_output_arrive_whole(runtime, fd):
    code, n, digest, _s, other, _peak = stream_run(runtime, 16 << 20, fd)
    assert (code, n) == (0, 16 << 20), other
    assert digest == expected_digest(16 << 20)


@pytest.mark.slow
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_200_mib_of_stdout_arrive_whole_with_bounded_memory(runtime):
    code, n, digest, seconds, other, peak = stream_run(runtime, BIG, 1)
    print("%s: 200 MiB of stdout in %.1f s, peak RSS of a child %.0f MiB"
          % (runtime, seconds, peak / 1024))
    assert (code, n) == (0, BIG), other
    assert digest == expected_digest(BIG)
    assert peak < 1024 * 1024, "a child process held %d KiB: not streamed" % peak


def args_run(runtime, capfd, argv_extra, env_extra):
    """host.cli.main in this process (a 1 MiB argument cannot go on a command line: the OS
    limits one to 128 KiB), capturing the output at the fd level."""
    from host import cli
    if runtime != "native":
        common.require_build()
    app = support.build("argsize")
    tokens = ["run", "--runtime", runtime]
    for k, v in env_extra.items():
        tokens += ["--env", "%s=%s" % (k, v)]
    code = cli.main(tokens + [str(app), "--"] + argv_extra)
    out, err = capfd.readouterr()
    return code, out, err


def fnv(values):
    h = 14695981039346656037
    for s in values:
        for b in s.encode():
            h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
        h = ((h ^ 0xFF) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_mib_of_argv_and_of_environment(runtime, capfd):
    big = "".join(chr(ord("a") + i % 26) for i in range(1 << 20))
    args = [big] + ["arg%d" % i for i in range(2000)]
    env = {"BIG": "v" * (1 << 20)}
    code, out, err = args_run(runtime, capfd, args, env)
    assert code == 0, err
    line = out.strip()
    assert line == "argc=%d args=%d %016x env=%d %016x" % (
        len(args) + 1, sum(map(len, args)), fnv(args), len("BIG=") + (1 << 20),
        fnv(["BIG=" + env["BIG"]])), (line, err[-300:])
