"""host/runtimes/wasmtime_cli.py: the real wasmtime CLI as a host, on a precompiled module kept
in the cache under the CLI's version and the module's SHA-256 (a rebuilt module never loads a
stale one). The runtime itself ("wasmtime-cli") runs in tests/test_build.py with the other hosts."""
import os
import sys
import types
from pathlib import Path

from host.runtimes import wasmtime_cli
from host.runtimes.base import Job
from tests.support import wat2wasm

START_WAT = '(module (func (export "_start")))'


def test_precompiled_module_is_keyed_by_cli_version_and_module_hash(tmp_path):
    cache = tmp_path / "cache"
    cli = wasmtime_cli.binary(cache)
    version = wasmtime_cli.version(cli)
    one = wat2wasm(START_WAT, tmp_path / "one.wasm")
    first = wasmtime_cli.precompiled(cli, one, cache)
    assert first.is_file() and version in first.name
    mtime = first.stat().st_mtime_ns
    assert wasmtime_cli.precompiled(cli, one, cache) == first
    assert first.stat().st_mtime_ns == mtime                     # reused, not compiled again
    # the same path rebuilt with other contents: another entry, the old one is not loaded
    one.write_bytes(wat2wasm('(module (func (export "_start")) (func))', tmp_path / "two.wasm")
                    .read_bytes())
    os.utime(one, ns=(mtime + 10**9, mtime + 10**9))
    second = wasmtime_cli.precompiled(cli, one, cache)
    assert second != first and second.is_file()
    work = tmp_path / "work"
    work.mkdir()
    job = Job(module=Path(one), argv=["app.wasm", "a"], env={"K": "V"},
              preopens=[(str(tmp_path), "/w")], work=str(work), cache=cache)
    cmd = wasmtime_cli.WasmtimeCliRuntime().command(job).argv
    assert cmd[:3] == [cli, "run", "--allow-precompiled"]
    assert ["--dir", "%s::/w" % tmp_path] == cmd[3:5] and "K=V" in cmd
    assert cmd[-5:] == ["--argv0", "one.wasm", str(second), "--args-file",
                        wasmtime_cli.LAUNCH_GUEST_DIR + "/args.json"]


def test_cli_without_its_exec_bit_runs_from_an_executable_copy(tmp_path, monkeypatch):
    pkg = tmp_path / "wasmtime_cli"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    fake = pkg / "wasmtime"
    fake.write_text("#!/bin/sh\necho wasmtime 1.2.3 \\(fake\\)\n")
    fake.chmod(0o444)                                 # as pip sometimes leaves it
    pkg.chmod(0o555)                                  # and read-only: no chmod in place
    try:
        monkeypatch.delenv("SELFHOST_WASMTIME_CLI", raising=False)
        monkeypatch.setitem(sys.modules, "wasmtime_cli",
                            types.SimpleNamespace(__file__=str(pkg / "__init__.py")))
        cli = wasmtime_cli.binary(tmp_path / "cache")
        if os.geteuid() != 0:                         # (root may chmod anything in place)
            assert cli != str(fake)
        assert os.access(cli, os.X_OK)
        assert wasmtime_cli.version(cli) == "1.2.3"
        assert wasmtime_cli.binary(tmp_path / "cache") == cli   # one copy
    finally:
        pkg.chmod(0o755)
