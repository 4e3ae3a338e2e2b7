"""Keys for the compiled-module caches of the host runtimes (wasmtime-py's serialized modules,
the wasmtime CLI's .cwasm files): the module's SHA-256, so a rebuilt selfhost.wasm never loads a
stale compiled copy. Imports only the standard library: a runner's start pays nothing more."""
import hashlib
import os
import tempfile
from pathlib import Path


def cache_dir():
    """Where compiled modules are cached: $SELFHOST_CACHE, or ~/.cache/selfhost."""
    path = os.environ.get("SELFHOST_CACHE")
    if path:
        return Path(path)
    return Path.home() / ".cache" / "selfhost"


def wasmtime_version():
    """The installed wasmtime-py's version (a compiled module is only good for that one)."""
    from importlib import metadata
    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:
        return "unknown"


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def module_hash(cache, module_path):
    """SHA-256 of the module file, remembered in the cache by (path, size, mtime) so that a
    start does not re-read 13 MB just to find its compiled copy."""
    st = os.stat(module_path)
    key = "%d %d" % (st.st_size, st.st_mtime_ns)
    memo = Path(cache) / ("hash-%s.txt" % hashlib.sha1(
        os.path.abspath(module_path).encode()).hexdigest())
    try:
        known_key, digest = memo.read_text().rsplit(" ", 1)
        if known_key == key and len(digest) == 64:
            return digest
    except (OSError, ValueError):
        pass
    digest = file_sha256(module_path)
    try:
        write_file(memo, ("%s %s" % (key, digest)).encode())
    except OSError:
        pass
    return digest


def write_file(path, data):
    """Write ``data`` to ``path`` whole or not at all (a temporary file beside it, renamed:
    a reader, or a mapped copy, never sees it half written). OSError when it cannot."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def prune(directory, pattern, keep):
    """Drop all but the ``keep`` most recently written files matching ``pattern``."""
    entries = sorted(Path(directory).glob(pattern), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    for old in entries[keep:]:
        try:
            old.unlink()
        except OSError:
            pass
