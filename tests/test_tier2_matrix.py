"""Issue 13's matrix: checkpoints at 50 random moments of native code, over kernels with
recursion, float state (NaN payloads), memory.grow inside native code, call_indirect and
nested loops (tests/tier2_apps/matrix.c), each restored on another host: selfhost.wasm on
wasmtime and Node (rewound natively by their tier 2), on Wasmer (the interpreter: Wasmer has
no native side) and the native runtime. Every restore prints what an uninterrupted run prints.

The checkpoints are taken in this process, with both tier-2 native sides: the native runtime's
(host/offload/tier2_native.py InstrumentedNative) and the doorbell's, as selfhost.wasm drives
it (tests/test_tier2_doorbell.py InProcess): the trigger file appears at a random native poll
(a poll at every countdown tick), so every snapshot's top frame is inside native code.
"""
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

wasmtime = pytest.importorskip("wasmtime")

import interp  # noqa: E402
from checkpoint.store import read_snapshot  # noqa: E402
from selfhost import cli, exit_codes  # noqa: E402
from tests.apps.build import build_c  # noqa: E402
from tests.test_tier2_doorbell import InProcess  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined",
          "-Wl,-z,stack-size=65536"]
KERNELS = [("fib", 18), ("floats", 3000), ("grow", 8), ("indirect", 3000), ("nested", 1500),
           ("matmul", 10), ("sieve", 8000)]
HOSTS = ("wasmtime", "node", "wasmer", "native")
CHECKPOINTS = 52          # 13 per restoring host, 7 or 8 per kernel


def _app():
    return build_c(ROOT / "tests" / "tier2_apps" / "matrix.c",
                   ROOT / "tests" / ".cache" / "tier2_apps", CFLAGS)


def _selfhost(*args):
    import os
    return subprocess.run([sys.executable, "-m", "host.cli", *map(str, args)],
                          capture_output=True, cwd=ROOT, timeout=900,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


class Trigger:
    """The trigger file appears at native poll number ``at`` of whichever tier-2 side runs."""

    def __init__(self, monkeypatch):
        from functools import partial
        from host.offload import tier2_native
        from interp import instrument
        monkeypatch.setattr(tier2_native, "POLL_INTERVAL", 1e-12)
        monkeypatch.setattr(tier2_native, "FIRST_BUDGET", 1)
        every_header = partial(instrument.instrument, loop_tick=1)   # every loop header ticks
        monkeypatch.setattr(instrument, "instrument", every_header)
        # (a cache of its own: native_cache's entries are made with the default loop_tick)
        monkeypatch.setenv("SELFHOST_CACHE", tempfile.mkdtemp(prefix="tier2-matrix-cache-"))
        self.at = None
        self.path = None
        self.polls = 0
        for cls in (tier2_native.InstrumentedNative, tier2_native.HostedInstrumented):
            orig = cls.__dict__["_poll"]

            def poll(side, orig=orig):
                self.polls += 1
                if self.polls == self.at:
                    self.path.write_text("now")
                return orig(side)
            monkeypatch.setattr(cls, "_poll", poll)


def _checkpoint(kind, monkeypatch, trigger, at, d, app, args):
    """A run of ``app`` with tier 2 (``kind``: "native" or "doorbell") whose trigger file
    appears at native poll ``at``; returns (exit code, stdout)."""
    from host.runtimes.native_main import _native_side
    trigger.at, trigger.polls, trigger.path = at, 0, d / "trigger"
    argv = ["--offload", "tier2", "--offload-threshold", "0", "--checkpoint-trigger",
            d / "trigger", "--snapshot", d / "s.snap", app, *args]
    if kind == "doorbell":
        return InProcess(monkeypatch, trigger=d / "trigger").main(argv)
    return cli.main([str(a) for a in argv], native_side=_native_side)


@pytest.mark.hosts
def test_random_native_checkpoints_restore_exactly_on_every_other_host(
        tmp_path, monkeypatch, capfd, selfhost_wasm):
    app = _app()
    trigger = Trigger(monkeypatch)
    full, polls = {}, {}
    for name, n in KERNELS:    # the output, and how many native polls a whole run makes
        args = (name, n)
        capfd.readouterr()
        assert cli.main(["--offload", "off", str(app), name, str(n)]) == 0
        full[args] = capfd.readouterr().out
        counts = []
        for kind in ("native", "doorbell"):
            d = tmp_path / ("count-%s-%s" % (name, kind))
            d.mkdir()
            assert _checkpoint(kind, monkeypatch, trigger, 0, d, app, args) == 0
            assert capfd.readouterr().out == full[args], (args, kind)
            counts.append(trigger.polls)
        polls[args] = min(counts)
        assert polls[args] > 20, (args, counts)
    module = interp.decode(app.read_bytes())
    rnd = random.Random(2026)
    for k in range(CHECKPOINTS):
        d = tmp_path / ("c%02d" % k)
        d.mkdir()
        args = KERNELS[k % len(KERNELS)]
        kind = ("native", "doorbell")[k % 2]
        host = HOSTS[(k // 2) % len(HOSTS)]
        at = rnd.randint(1, polls[args] - 1)
        capfd.readouterr()
        rc = _checkpoint(kind, monkeypatch, trigger, at, d, app, args)
        first = capfd.readouterr().out
        assert rc == exit_codes.CHECKPOINTED, (k, args, kind, at)
        top = read_snapshot(d / "s.snap").frames[-1]
        assert top.func >= len(module.imported("func")), (k, args, kind, at)
        proc = _selfhost("run", "--runtime", host, "--offload", "tier2", "--profile",
                         "--restore", d / "s.snap", app, *args)
        where = (k, args, kind, at, host, module.func_names.get(top.func))
        err = proc.stderr.decode()
        assert proc.returncode == 0, (where, err)
        assert first + proc.stdout.decode() == full[args], where
        tier2_line = [ln for ln in err.splitlines() if ln.startswith("tier 2:")]
        if host == "wasmer":     # no native side: the interpreter goes on with the frames
            assert not tier2_line, (where, err)
        else:                    # rewound into native code at once
            assert " 1 rewinds" in tier2_line[0], (where, tier2_line)
