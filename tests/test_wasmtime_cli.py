"""host/wasmtime_cli.py: the real wasmtime CLI as a host, on a precompiled module kept in the
cache under the CLI's version and the module's SHA-256 (a rebuilt module never loads a stale
one). The runtime itself ("wasmtime-cli") runs in tests/test_build.py with the other hosts."""
import os
import sys
import types

from host import wasmtime_cli
from tests.test_host_cli import FILES_WAT, wat2wasm


def test_precompiled_module_is_keyed_by_cli_version_and_module_hash(tmp_path):
    cache = tmp_path / "cache"
    cli = wasmtime_cli.binary(cache)
    version = wasmtime_cli.version(cli)
    one = wat2wasm(FILES_WAT, tmp_path / "one.wasm")
    first = wasmtime_cli.precompiled(cli, one, cache)
    assert first.is_file() and version in first.name
    mtime = first.stat().st_mtime_ns
    assert wasmtime_cli.precompiled(cli, one, cache) == first
    assert first.stat().st_mtime_ns == mtime                     # reused, not compiled again
    # the same path rebuilt with other contents: another entry, the old one is not loaded
    one.write_bytes(wat2wasm("(module (func (export \"_start\")))", tmp_path / "two.wasm")
                    .read_bytes())
    os.utime(one, ns=(mtime + 10**9, mtime + 10**9))
    second = wasmtime_cli.precompiled(cli, one, cache)
    assert second != first and second.is_file()
    cmd = wasmtime_cli.command(one, ["selfhost", "a"], [(str(tmp_path), "/w")], {"K": "V"},
                               cache)
    assert cmd[:5] == [cli, "run", "--allow-precompiled", "--argv0", "selfhost"]
    assert cmd[5:] == ["--dir", "%s::/w" % tmp_path, "--env", "K=V", str(second), "a"]


def test_cli_without_its_exec_bit_runs_from_an_executable_copy(tmp_path, monkeypatch):
    pkg = tmp_path / "wasmtime_cli"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    fake = pkg / "wasmtime"
    fake.write_text("#!/bin/sh\necho wasmtime 1.2.3 \\(fake\\)\n")
    fake.chmod(0o644)                                 # as pip sometimes leaves it
    monkeypatch.delenv("SELFHOST_WASMTIME_CLI", raising=False)
    monkeypatch.setitem(sys.modules, "wasmtime_cli",
                        types.SimpleNamespace(__file__=str(pkg / "__init__.py")))
    cli = wasmtime_cli.binary(tmp_path / "cache")
    assert cli != str(fake) and os.access(cli, os.X_OK)
    assert wasmtime_cli.version(cli) == "1.2.3"
    assert wasmtime_cli.binary(tmp_path / "cache") == cli   # one copy
