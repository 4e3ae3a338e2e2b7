"""A disk cache for the native side: wasmtime's compiled copy of the module it runs, and for
tier 2 the instrumented app with its safe-point map, so that the next run of the same app
neither instruments nor compiles it again (for a real program both take longer than the run).

Each entry is named by the SHA-256 of everything its content depends on: for a compiled module,
the wasmtime-py version and the module's bytes; for an instrumented app, the app's bytes, the
functions instrumented, the imports whose calls unwind and interp's own sources (the
instrumenter and the pc maps it writes; entries are made with instrument()'s defaults, as
the native sides run it). A change to any of them names another entry, so a
stale one is never read. Entries live in ``$SELFHOST_CACHE/native`` (compile_cache.cache_dir);
a cache that cannot be written or read is only slower, never an error.
"""
import hashlib
import struct
from pathlib import Path

from host.runtimes.compile_cache import cache_dir, prune, wasmtime_version, write_file

KEEP = 16                 # entries of each kind
_MAGIC = b"SHT2v1\0\0"
_interp_digest = None


def directory():
    return cache_dir() / "native"


def _interp_sources():
    """SHA-256 over interp's Python sources (once per process)."""
    global _interp_digest
    if _interp_digest is None:
        import interp
        root = Path(interp.__file__).parent
        h = hashlib.sha256()
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(path.read_bytes())
        _interp_digest = h.hexdigest()
    return _interp_digest


def _write(path, data):
    try:
        write_file(path, data)
        prune(path.parent, "*" + path.suffix, KEEP)
    except OSError:
        pass


def instrumented(module, funcs, import_unwind=()):
    """(the instrumented app's bytes, its safe-point map {function: FuncPoints}) for
    ``interp.instrument.instrument(module, funcs, import_unwind=...)``, from the cache when
    an earlier run made them."""
    from interp.instrument import instrument
    from interp.instrument_plan import points_from_words, points_to_words
    funcs = sorted(set(funcs))
    unwind = sorted(set(import_unwind))
    h = hashlib.sha256(b"tier2\0" + _interp_sources().encode())
    h.update(struct.pack("<QQ", len(funcs), len(unwind)))
    h.update(struct.pack("<%dQ" % (len(funcs) + len(unwind)), *funcs, *unwind))
    h.update(module.raw)
    path = directory() / (h.hexdigest() + ".t2")
    try:
        blob = path.read_bytes()
        if blob[:8] == _MAGIC:
            n, = struct.unpack_from("<Q", blob, 8)
            data = blob[16:16 + n]
            nw, = struct.unpack_from("<Q", blob, 16 + n)
            w = struct.unpack_from("<%dQ" % nw, blob, 24 + n)
            points, p = {}, 1
            for _ in range(w[0]):
                k = w[p]
                fp = points_from_words(w[p + 1:p + 1 + k])
                points[fp.func] = fp
                p += 1 + k
            if len(data) == n and p == nw:
                return data, points
    except (OSError, struct.error, IndexError, ValueError):
        pass                                  # no entry, or a damaged one: make it again
    made = instrument(module, funcs, import_unwind=unwind)
    w = [len(made.funcs)]
    for f in sorted(made.funcs):
        words = points_to_words(made.funcs[f])
        w += [len(words), *words]
    _write(path, _MAGIC + struct.pack("<Q", len(made.data)) + made.data
           + struct.pack("<Q%dQ" % len(w), len(w), *w))
    return made.data, made.funcs


def compiled(engine, data):
    """wasmtime.Module(engine, data), deserialized from the cache when an earlier run compiled
    the same bytes with the same wasmtime-py (a copy it rejects is compiled again)."""
    import wasmtime
    key = hashlib.sha256(b"wasmtime-py " + wasmtime_version().encode() + b"\0" + data)
    path = directory() / (key.hexdigest() + ".cwasm")
    if path.is_file():
        try:
            return wasmtime.Module.deserialize_file(engine, str(path))
        except wasmtime.WasmtimeError:
            pass
    module = wasmtime.Module(engine, data)
    try:
        _write(path, module.serialize())
    except wasmtime.WasmtimeError:
        pass
    return module
