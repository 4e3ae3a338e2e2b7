"""Tier 2 inside selfhost.wasm (issue 13): `--offload tier2` on the wasmtime-py and Node
launchers, whose native sides run the app as selfhost.wasm instrumented it (the doorbell:
selfhost/doorbell.py DoorbellTier2; host/offload/doorbell_host.py, node_launcher.mjs).

One long pure call (kernels_cmd's mix) is checkpointed while it runs natively, by the timer
and by the trigger file (which the launcher watches at its host path), and restored on
another host, where it is rewound into native code: the output is that of an uninterrupted
run. (The latency is measured in bench/tier2_latency.py, not asserted here.)
"""
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import interp
from checkpoint.store import read_snapshot
from tests.test_tier2_native import build

ROOT = Path(__file__).resolve().parent.parent
ARGS = [1, 18, 1_200_000_000]    # mix: about 3 s natively
LONG = [1, 18, 2_000_000_000]    # about 5 s: still running when the trigger comes
NATIVE = {"fib", "sieve", "mix"}   # the kernels: run natively (offload threshold 0)


def selfhost(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "host.cli", *map(str, args)],
                          capture_output=True, cwd=ROOT, timeout=timeout,
                          env=dict(__import__("os").environ, PYTHONPATH=str(ROOT)))


_OUTPUTS = {}


def uninterrupted(args):
    """The output of an uninterrupted run (natively, plain offload), once per args."""
    key = tuple(args)
    if key not in _OUTPUTS:
        proc = subprocess.run([sys.executable, "-m", "host.runtimes.native_main",
                               str(build("kernels_cmd")), *map(str, args)],
                              capture_output=True, cwd=ROOT, timeout=600)
        assert proc.returncode == 0, proc.stderr.decode()
        _OUTPUTS[key] = proc.stdout.decode()
    return _OUTPUTS[key]


def _top_function(snap):
    module = interp.decode(build("kernels_cmd").read_bytes())
    return module.func_names.get(read_snapshot(snap).frames[-1].func)


def _restore(runtime, snap, first, args):
    proc = selfhost("run", "--runtime", runtime, "--offload", "tier2", "--profile",
                    "--restore", snap, build("kernels_cmd"), *args)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert first + proc.stdout.decode() == uninterrupted(args)
    line = [ln for ln in err.splitlines() if ln.startswith("tier 2:")][0]
    assert " 0 unwinds, 1 rewinds" in line, line


@pytest.mark.parametrize("runtime,target", [("wasmtime", "node"), ("node", "wasmtime")])
def test_timer_checkpoint_inside_native_code_restores_natively_on_the_other_host(
        runtime, target, tmp_path, selfhost_wasm):
    snap, stats = tmp_path / "s.snap", tmp_path / "st.json"
    proc = selfhost("run", "--runtime", runtime, "--offload", "tier2", "--offload-threshold",
                    "0", "--snapshot", snap, "--stats", stats, "--checkpoint-after", "1.5",
                    build("kernels_cmd"), *ARGS)
    assert proc.returncode == 75, proc.stderr.decode()
    st = json.loads(stats.read_text())
    assert st["trigger"] == "timer" and _top_function(snap) in NATIVE
    _restore(target, snap, proc.stdout.decode(), ARGS)


@pytest.mark.parametrize("runtime", ["wasmtime", "node"])
def test_trigger_file_checkpoint_inside_native_code(runtime, tmp_path, selfhost_wasm):
    """The trigger file appears while mix runs natively: the launcher's native side sees it
    at its host path; the snapshot is restored natively by the native runtime."""
    snap, trigger = tmp_path / "s.snap", tmp_path / "ckpt.trigger"
    run = subprocess.Popen([sys.executable, "-m", "host.cli", "run", "--runtime", runtime,
                            "--offload", "tier2", "--offload-threshold", "0", "--snapshot",
                            str(snap), "--checkpoint-trigger", str(trigger),
                            str(build("kernels_cmd")), *map(str, LONG)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                           env=dict(__import__("os").environ, PYTHONPATH=str(ROOT)))
    try:
        time.sleep(3.0)         # selfhost.wasm has started; mix runs natively
        trigger.write_text("now")
        out, err = run.communicate(timeout=600)
    finally:
        run.kill()
    if run.returncode == 0:
        pytest.fail("the run ended before the trigger (a loaded machine?): %s" % err.decode())
    assert run.returncode == 75, err.decode()
    assert _top_function(snap) in NATIVE and not trigger.exists()
    _restore("native", snap, out.decode(), LONG)


@pytest.mark.parametrize("runtime", ["wasmtime", "node"])
def test_offload_imports_from_deep_native_stacks_inside_selfhost_wasm(runtime, selfhost_wasm):
    """`--offload imports` inside selfhost.wasm: a printf 300 frames down a native recursion
    unwinds all of them to selfhost's WASI and is rewound, three times; the output is the
    wasmtime CLI's. Before tools/patch_nuitka_wasm.py gave Nuitka's compiled-frame tp_clear
    its exact signature, CPython's cyclic GC trapped here ("indirect call type mismatch")
    when a collection met the frames of an Unwound kept in a local."""
    from tests.test_tier2_doorbell import _deep_import
    app = _deep_import()
    cli = subprocess.run([_wasmtime_cli(), "run", str(app), "300"], capture_output=True,
                         timeout=300)
    proc = selfhost("run", "--runtime", runtime, "--offload", "imports", "--profile",
                    "--offload-threshold", "0", app, "300")
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert proc.stdout == cli.stdout
    tier2_line = [ln for ln in err.splitlines() if ln.startswith("tier 2:")][0]
    assert re.search(r" [1-9]\d* import round trips", tier2_line), tier2_line


def test_node_keeps_what_selfhost_wasm_instrumented_for_the_next_run(tmp_path, selfhost_wasm):
    """Under Node the guest instruments the app itself (Node has no decoder); the launcher
    keeps the module and its safe-point map, so the next run of the app neither instruments
    it again nor differs: the same output, the map served by the launcher (POINTS), a
    checkpoint inside native code still written and restored."""
    import os
    env = dict(os.environ, PYTHONPATH=str(ROOT), SELFHOST_CACHE=str(tmp_path / "cache"))
    app = build("kernels_cmd")
    args = ["1", "18", "40000000"]

    def run(*extra, args=args):
        proc = subprocess.run([sys.executable, "-m", "host.cli", "run", "--runtime", "node",
                               "--offload", "tier2", "--offload-threshold", "0", "--profile",
                               *map(str, extra), str(app), *map(str, args)],
                              capture_output=True, cwd=ROOT, timeout=600, env=env)
        err = proc.stderr.decode()
        assert proc.returncode in (0, 75), err
        return proc, [ln for ln in err.splitlines() if ln.startswith("tier 2:")][0]

    first, line = run()
    assert "(by selfhost.wasm)" in line
    assert first.stdout.decode() == uninterrupted(args)
    kept = sorted(p.suffix for p in (tmp_path / "cache" / "node-tier2").iterdir())
    assert kept == [".points", ".wasm"]
    second, line = run()
    assert "(kept by the host from an earlier run)" in line
    assert second.stdout == first.stdout
    snap = tmp_path / "s.ckpt"
    third, line = run("--snapshot", snap, "--checkpoint-after", "1", args=LONG)
    assert third.returncode == 75, third.stderr.decode()
    assert "(kept by the host from an earlier run)" in line and " 1 unwinds" in line, line
    assert _top_function(snap) in NATIVE
    _restore("node", snap, third.stdout.decode(), LONG)


def _counter():
    from tests.apps.build import build_c
    return build_c(ROOT / "tests" / "tier2_apps" / "counter.c",
                   ROOT / "tests" / ".cache" / "offload_apps",
                   ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined",
                    "-Wl,-z,stack-size=65536"])


def _wasmtime_cli():
    wasmtime_cli = pytest.importorskip("wasmtime_cli")
    return str(Path(wasmtime_cli.__file__).parent / "wasmtime")
