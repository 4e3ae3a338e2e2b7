"""The user's contract holds for launchers that are not ours: a plain node:wasi script and a
plain wasmtime-py script that only preopen a directory as "." and pass argv run
`selfhost.wasm app.wasm ARGS` exactly as the app runs directly (the equivalent of
`wasmtime run --dir . selfhost.wasm -- app.wasm ARGS`)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from host.launch import run_app_direct
from tests.test_checkpoint_cli import APP_SRC, build

ROOT = Path(__file__).resolve().parent.parent
SELFHOST = ROOT / "build" / "selfhost.wasm"

if not SELFHOST.is_file():
    if os.environ.get("SELFHOST_REQUIRE_BUILD"):
        raise RuntimeError("build/selfhost.wasm is missing (SELFHOST_REQUIRE_BUILD is set)")
    pytestmark = pytest.mark.skip(reason="build/selfhost.wasm not built (run bash build.sh)")

NODE_SCRIPT = """
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const [dir, wasmPath, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: ['selfhost.wasm', ...args],
                        env: {}, preopens: { '.': dir }, returnOnExit: true });
const mod = await WebAssembly.compile(readFileSync(wasmPath));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
process.exitCode = wasi.start(inst);
"""

WASMTIME_SCRIPT = """
import sys, wasmtime
d, wasm_path, *args = sys.argv[1:]
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
cfg = wasmtime.WasiConfig()
cfg.argv = ["selfhost.wasm"] + args
cfg.preopen_dir(d, ".")
cfg.inherit_stdout(); cfg.inherit_stderr()
store.set_wasi(cfg)
linker = wasmtime.Linker(engine)
linker.define_wasi()
inst = linker.instantiate(store, wasmtime.Module.from_file(engine, wasm_path))
try:
    inst.exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    sys.exit(e.code)
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    app = build(APP_SRC, "stateful.wasm")
    d = tmp_path_factory.mktemp("direct")
    r = run_app_direct(app, ["out.txt", "3"], dirs=[(str(d), ".")], timeout=120)
    assert r.returncode == 0, r.stderr
    return app, r.stdout, (d / "out.txt").read_bytes()


@pytest.mark.parametrize("launcher", ["node", "wasmtime"])
def test_plain_launcher_runs_selfhost(launcher, reference, tmp_path):
    app, stdout, out_file = reference
    shutil.copy(app, tmp_path / "app.wasm")
    if launcher == "node":
        script = tmp_path / "plain.mjs"
        script.write_text(NODE_SCRIPT)
        cmd = ["node", "--no-turbo-fast-api-calls", str(script)]
    else:
        script = tmp_path / "plain.py"
        script.write_text(WASMTIME_SCRIPT)
        cmd = [sys.executable, str(script)]
    r = subprocess.run(cmd + [str(tmp_path), str(SELFHOST), "app.wasm", "out.txt", "3"],
                       capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert r.stdout == stdout
    assert (tmp_path / "out.txt").read_bytes() == out_file
