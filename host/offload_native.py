"""The native side of hot-function offload for selfhost running on CPython: wasmtime-py.

``WasmtimeNative(module)`` instantiates the same app.wasm in wasmtime, rewritten so that every
function, global, table and the memory are exported (under reserved names) and without its start
section; every import is a stub that traps (offloaded functions never reach an import, see
interp/offload.py). ``call(inst, func_index, args)`` implements the interface of
interp/offload.py:

* in: what the call's ``sync`` (interp.offload.Sync, from the static analysis) names: the guest
  memory copied whole into the native memory (grown to the same size first) when the function
  can touch memory, the mutable globals it can read or write; funcref tables are updated where
  they changed since the last call (funcs by function index);
* the call (its duration is kept in ``last_native``, for the cost model); a wasmtime trap
  becomes interp's Trap with the spec's message, except a stack overflow (wasmtime's stack is
  far smaller than the interpreter's): NativeStackExhausted, nothing copied back, and a fresh
  native instance for the next call;
* out: the native memory copied back (the guest memory grown first when the call grew it) when
  the function can write memory, the mutable globals it can write.

A whole-memory memmove runs at ~10 GB/s here (1.5 MB: ~150 us each way); a page-by-page
memcmp to find what changed costs as much as the copy, so whole copies are kept and only
skipped where the analysis allows. ``bytes_in`` / ``bytes_out`` count what was copied.
"""
import ctypes
import time

import wasmtime
from wasmtime import _ffi as ffi

from interp import opcodes as W
from interp.errors import Trap
from interp.module import FuncType
from interp.runtime import from_internal, to_internal

from interp.offload import (NativeStackExhausted, PREFIX, Sync,  # noqa: F401 (re-exported)
                            export_everything)

_TRAPS = {
    "STACK_OVERFLOW": "call stack exhausted",
    "MEMORY_OUT_OF_BOUNDS": "out of bounds memory access",
    "HEAP_MISALIGNED": "out of bounds memory access",
    "TABLE_OUT_OF_BOUNDS": "undefined element",
    "INDIRECT_CALL_TO_NULL": "uninitialized element",
    "BAD_SIGNATURE": "indirect call type mismatch",
    "INTEGER_OVERFLOW": "integer overflow",
    "INTEGER_DIVISION_BY_ZERO": "integer divide by zero",
    "BAD_CONVERSION_TO_INTEGER": "invalid conversion to integer",
    "UNREACHABLE_CODE_REACHED": "unreachable",
}


def available():
    return True


_VT = {W.I32: wasmtime.ValType.i32, W.I64: wasmtime.ValType.i64,
       W.F32: wasmtime.ValType.f32, W.F64: wasmtime.ValType.f64,
       W.FUNCREF: wasmtime.ValType.funcref, W.EXTERNREF: wasmtime.ValType.externref}


def _functype(ft):
    return wasmtime.FuncType([_VT[t]() for t in ft.params], [_VT[t]() for t in ft.results])


class WasmtimeNative:
    """A native wasmtime instance of ``module`` (an interp Module with .raw bytes)."""

    def __init__(self, module):
        self.module = module
        self.engine = wasmtime.Engine()
        self.native_module = wasmtime.Module(self.engine, export_everything(module.raw, module))
        self.bytes_in = self.bytes_out = 0   # memory bytes copied in / back
        self.last_native = 0.0               # seconds in the last native call itself
        self._guest = None
        self._instantiate()

    def _instantiate(self):
        """A fresh native instance (one per guest instance: the native memory must never be
        larger than the guest's)."""
        module = self.module
        self.store = wasmtime.Store(self.engine)
        linker = wasmtime.Linker(self.engine)
        for imp in module.imports:
            if imp.kind != "func":
                raise ValueError("cannot offload a module that imports a %s" % imp.kind)
            linker.define(self.store, imp.module, imp.name,
                          wasmtime.Func(self.store, _functype(module.types[imp.desc]),
                                        _import_stub(imp)))
        self.instance = linker.instantiate(self.store, self.native_module)
        ex = self.instance.exports(self.store)
        self.funcs = [ex[PREFIX + "f%d" % i] for i in range(len(module.func_types()))]
        self.memory = ex[PREFIX + "m0"] if module.mem_types() else None
        gtypes = module.global_types()
        self.globals = [(i, gtypes[i].valtype, ex[PREFIX + "g%d" % i])
                        for i in range(len(gtypes)) if gtypes[i].mutable]
        self.tables = [ex[PREFIX + "t%d" % i] for i in range(len(module.table_types()))]
        self._synced_tables = [[] for _ in self.tables]
        self._ftypes = module.func_types()
        self._gmap = {i: (vt, g) for i, vt, g in self.globals}
        self._prepared = {}
        mutable = [i for i, _vt, _g in self.globals]
        self._full = Sync(True, True, mutable, mutable)
        self.call_overhead = 0.0
        self.call_overhead = self._calibrate()

    def _calibrate(self):
        """The time the clock sees around an empty native call (the C API call from ctypes,
        ~2 us): subtracted from ``last_native`` so that a tiny function's native time is not
        mostly this overhead (the cost model multiplies it by 300)."""
        try:
            probe = wasmtime.Module(self.engine, '(module (func (export "f") (param i32) '
                                    '(result i32) local.get 0))')
            f = wasmtime.Instance(self.store, probe, []).exports(self.store)["f"]
            self.funcs.append(f)
            self._ftypes = list(self._ftypes) + [FuncType((W.I32,), (W.I32,))]
        except Exception:              # noqa: BLE001 (a calibration only)
            return 0.0
        k = len(self.funcs) - 1
        best = 1.0
        for _ in range(50):
            self.invoke(k, [1])
            best = min(best, self.last_native)
        self.funcs.pop()
        self._ftypes.pop()
        self._prepared.pop(k, None)
        return best

    def invoke(self, func_index, api_args):
        """Call function ``func_index`` natively with wasmtime-py values; returns the list of
        results, raises wasmtime.Trap / WasmtimeError. Straight through wasmtime's C API with
        per-function prepared argument arrays: wasmtime-py's Func.__call__ costs ~40 us per
        call (type queries, conversions), this ~3 us."""
        prep = self._prepared.get(func_index)
        if prep is None:
            prep = self._prepared[func_index] = self._prepare(func_index)
        if prep is False:
            t0 = time.perf_counter()
            try:
                r = self.funcs[func_index](self.store, *api_args)
            finally:
                self.last_native = time.perf_counter() - t0
            nres = len(self._ftypes[func_index].results)
            return [] if nres == 0 else [r] if nres == 1 else list(r)
        fptr, params, fields, results, rfields = prep
        for p, (field, _kind), v in zip(params, fields, api_args):
            setattr(p.of, field, v)
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        ctx = self.store._context()
        nparams, nresults, trap_ref = len(fields), len(rfields), ctypes.byref(trap)
        clock = time.perf_counter
        t0 = clock()
        error = ffi.wasmtime_func_call(ctx, fptr, params, nparams, results, nresults, trap_ref)
        self.last_native = max(0.0, clock() - t0 - self.call_overhead)
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        if trap:
            raise wasmtime.Trap._from_ptr(trap)
        return [getattr(r.of, field) for r, field in zip(results, rfields)]

    def _prepare(self, func_index):
        try:
            ft = self._ftypes[func_index]
            kinds = {W.I32: ("i32", ffi.WASMTIME_I32), W.I64: ("i64", ffi.WASMTIME_I64),
                     W.F32: ("f32", ffi.WASMTIME_F32), W.F64: ("f64", ffi.WASMTIME_F64)}
            fields = [kinds[t] for t in ft.params]
            params = (ffi.wasmtime_val_t * max(1, len(fields)))()
            for p, (_field, kind) in zip(params, fields):
                p.kind = getattr(kind, "value", kind)
            results = (ffi.wasmtime_val_t * max(1, len(ft.results)))()
            rfields = [kinds[t][0] for t in ft.results]
            return (ctypes.byref(self.funcs[func_index]._func), params, fields, results,
                    rfields)
        except (AttributeError, KeyError, TypeError):
            return False                    # another wasmtime-py: the ordinary call

    def call(self, inst, func_index, args, sync=None):
        if inst is not self._guest:
            if self._guest is not None:
                self._instantiate()
            self._guest = inst
        store = self.store
        if sync is None:
            sync = self._full
        # in: memory (only when the function can touch it), the mutable globals it can read
        # or write, changed table entries
        mem = inst.mems[0].data if self.memory is not None else None
        if mem is not None and sync.mem_in:
            n = len(mem)
            have = self.memory.data_len(store)
            if have < n:
                self.memory.grow(store, (n - have) >> 16)
            buf = (ctypes.c_char * n).from_buffer(mem)
            ctypes.memmove(self.memory.data_ptr(store), buf, n)
            del buf
            self.bytes_in += n
        gmap = self._gmap
        for i in sync.globals_in:
            vt, g = gmap[i]
            g.set_value(store, from_internal(vt, inst.globals[i].v))
        for t, table in enumerate(self.tables):
            elems = inst.tables[t].elements
            synced = self._synced_tables[t]
            if elems != synced:
                self._sync_table(store, table, elems, synced)
                self._synced_tables[t] = list(elems)
        ft = self._ftypes[func_index]
        try:
            r = self.invoke(func_index, [from_internal(t, a) for t, a in zip(ft.params, args)])
            trap = None
        except wasmtime.Trap as e:
            trap = e
        except wasmtime.WasmtimeError as e:
            trap = e
        if trap is not None and stack_exhausted(trap):
            self._instantiate()             # its memory may have grown past the guest's
            raise NativeStackExhausted(_trap_message(trap))
        # out: memory (grown first if the call grew it) when the function can write it, the
        # mutable globals it can write
        if mem is not None and sync.mem_out:
            n = self.memory.data_len(store)
            if n > len(mem):
                inst.mems[0].grow((n - len(mem)) >> 16)
            buf = (ctypes.c_char * n).from_buffer(mem)
            ctypes.memmove(buf, self.memory.data_ptr(store), n)
            del buf
            self.bytes_out += n
        for i in sync.globals_out:
            vt, g = gmap[i]
            inst.globals[i].v = to_internal(vt, g.value(store))
        if trap is not None:
            raise Trap(_trap_message(trap)) from None
        return [to_internal(t, v) for t, v in zip(ft.results, r)]

    def _sync_table(self, store, table, elems, synced):
        size = table.size(store)
        if size < len(elems):
            table.grow(store, len(elems) - size, None)
        for j, f in enumerate(elems):
            if j < len(synced) and synced[j] is f:
                continue
            if f is None:
                table.set(store, j, None)
            elif getattr(f, "instance", None) is not None and f.instance.module is self.module:
                table.set(store, j, self.funcs[f.index])
            # else: a function of another instance or a host function: offloaded code can not
            # reach it (the analysis), so the native entry may stay as it is


def stack_exhausted(e):
    """Is wasmtime trap ``e`` the native stack running out (not a trap of the guest program)?"""
    name = getattr(getattr(e, "trap_code", None), "name", None)
    return name == "STACK_OVERFLOW" or (name is None and "stack overflow" in str(e))


def _trap_message(e):
    code = getattr(e, "trap_code", None)
    name = getattr(code, "name", None)
    if name in _TRAPS:
        return _TRAPS[name]
    text = str(e)
    for key, msg in (("stack overflow", "call stack exhausted"),
                     ("out of bounds memory", "out of bounds memory access"),
                     ("divide by zero", "integer divide by zero"),
                     ("integer overflow", "integer overflow"),
                     ("unreachable", "unreachable")):
        if key in text:
            return msg
    return "offloaded call failed: %s" % text.splitlines()[0] if text else "offloaded call failed"


def _import_stub(imp):
    def stub(*args):
        raise RuntimeError("offloaded code called the import %s.%s (a selfhost bug)"
                           % (imp.module, imp.name))
    return stub


def make_offloader(module, threshold=None):
    """An interp.offload.Offloader for ``module`` with a wasmtime native side, attached to it
    (the native side is compiled at the first offload: LazyNative)."""
    from interp.offload import DEFAULT_THRESHOLD, Offloader
    return Offloader(module, LazyNative(module),
                     DEFAULT_THRESHOLD if threshold is None else threshold).attach()


class LazyNative:
    """WasmtimeNative(module), made by prepare() (the Offloader calls it at the first offload)
    or by the first call, not at start."""

    def __init__(self, module):
        self.module = module
        self.native = None

    def prepare(self):
        if self.native is None:
            self.native = WasmtimeNative(self.module)
        return self.native

    def call(self, inst, func_index, args, sync=None):
        return self.prepare().call(inst, func_index, args, sync)

    last_native = property(lambda self: self.native.last_native if self.native else 0.0)
    bytes_in = property(lambda self: self.native.bytes_in if self.native else 0)
    bytes_out = property(lambda self: self.native.bytes_out if self.native else 0)


# ------------------------------------------------- the doorbell host side (selfhost.wasm guests)

class DoorbellHost:
    """Serves interp.offload.DoorbellNative requests from a selfhost.wasm running in wasmtime
    (host/doorbell.py's shim, which shadows wasi fd_advise, hands them over). Guest memory is
    read and written in place in selfhost's linear memory (the guest's bytearray, found
    through CPython's PyByteArrayObject layout, checked by HELLO)."""

    # CPython's PyByteArrayObject: offsets of ob_size and ob_start, pointer size (wasm32);
    # tests use the native 64-bit layout (16, 32, 8) to run the protocol in-process
    WASM32_LAYOUT = (8, 20, 4)

    def __init__(self, layout=WASM32_LAYOUT):
        self.native = None
        self.pending = None
        self.memory = None
        self.requests = 0
        self.layout = layout

    def bind(self, instance, store):
        """The selfhost instance (once instantiated): its memory is found once, not looked up
        by name through the caller at every request (that costs ~100 us in wasmtime-py)."""
        from host.wasmtime_runner import export
        mem = export(store, instance, "memory")
        if mem is not None:
            self.memory = (mem, store)

    def fd_advise(self, caller, fd, offset, length, advice):
        from interp.offload import MAGIC_FD
        if fd != MAGIC_FD:
            return 0                       # advice is advisory: success
        if self.memory is not None:
            mem, store = self.memory
            base = ctypes.addressof(mem.data_ptr(store).contents)
        else:
            base = ctypes.addressof(caller["memory"].data_ptr(caller).contents)
        self.handle(base, offset, length)
        return 0

    def handle(self, base, offset, length):
        """Serve the mailbox at ``base + offset`` (``base``: where the guest's memory is);
        ``length`` 0 is the guest's ping (DoorbellNative.connect): nothing to serve."""
        if length == 0:
            return 0
        self.requests += 1
        try:
            self._serve(base, offset, length)
        except Exception as e:             # reported to the guest, never a host crash
            self._reply(base, offset, length, 1, ("%s: %s" % (type(e).__name__, e)).encode())
        return 0

    def _reply(self, base, box, length, status, payload=b""):
        import struct
        payload = payload[:max(0, length - 16)]
        ctypes.memmove(base + box + 8, struct.pack("<II", status, len(payload)), 8)
        if payload:
            ctypes.memmove(base + box + 16, payload, len(payload))

    def _bytearray_ptr(self, base, obj, size):
        import struct
        size_off, start_off, word = self.layout
        fmt = "<I" if word == 4 else "<Q"
        ob_size, = struct.unpack(fmt, ctypes.string_at(base + obj + size_off, word))
        start, = struct.unpack(fmt, ctypes.string_at(base + obj + start_off, word))
        if ob_size != size:
            raise ValueError("unexpected bytearray layout")
        return base + start

    def _serve(self, base, box, length):
        import struct
        from interp import offload as O
        magic, op, _status, n = struct.unpack("<IIII", ctypes.string_at(base + box, 16))
        if magic != O.MAILBOX_MAGIC:
            raise ValueError("bad mailbox")
        payload = ctypes.string_at(base + box + 16, n)
        if op == O.OP_HELLO:
            obj, size = struct.unpack("<QQ", payload[:16])
            ptr = self._bytearray_ptr(base, obj, size)
            if ctypes.string_at(ptr, size) != payload[16:16 + size]:
                raise ValueError("unexpected bytearray layout")
            return self._reply(base, box, length, O.ST_HELLO)
        if op == O.OP_LOAD:
            import interp
            raw_len = struct.unpack("<Q", payload[:8])[0]
            self.native = WasmtimeNative(interp.decode(payload[24:24 + raw_len]))
            return self._reply(base, box, length, O.ST_OK)
        w = struct.unpack("<%dQ" % (n // 8), payload)
        nat = self.native
        store = nat.store
        if op == O.OP_TABLES:
            pos = 1
            for t in range(w[0]):
                size = w[pos]
                entries = w[pos + 1:pos + 1 + size]
                pos += 1 + size
                table = nat.tables[t]
                have = table.size(store)
                if have < size:
                    table.grow(store, size - have, None)
                for j, idx in enumerate(entries):
                    table.set(store, j, None if idx == O._NULL else nat.funcs[idx])
            return self._reply(base, box, length, O.ST_OK)
        if op == O.OP_CALL:
            func_index, flags, obj, size, nargs = w[:5]
            args = w[5:5 + nargs]
            p = 5 + nargs
            n_in = w[p]
            g_in = w[p + 1:p + 1 + 2 * n_in]
            p += 1 + 2 * n_in
            g_out = w[p + 1:p + 1 + w[p]]
            ft = nat._ftypes[func_index]
            if nat.memory is not None and flags & 1:
                have = nat.memory.data_len(store)
                if have < size:
                    nat.memory.grow(store, (size - have) >> 16)
                ctypes.memmove(nat.memory.data_ptr(store),
                               self._bytearray_ptr(base, obj, size), size)
            globs = nat.globals
            for j in range(n_in):
                _i, vt, g = globs[g_in[2 * j]]
                g.set_value(store, _api(vt, g_in[2 * j + 1]))
            try:
                r = nat.invoke(func_index, [_api(t, b) for t, b in zip(ft.params, args)])
                out = (O.ST_OK, [_raw(t, v) for t, v in zip(ft.results, r)])
            except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
                if stack_exhausted(e):      # nothing back; a fresh instance for the next call
                    self.pending = None
                    nat._instantiate()
                    return self._reply(base, box, length, O.ST_STACK, _trap_message(e).encode())
                out = (O.ST_TRAP, _trap_message(e).encode())
            outs = [_raw(globs[q][1], globs[q][2].value(store)) for q in g_out]
            self.pending = (out, outs + [int(nat.last_native * 1e9)], flags)
            new_size = nat.memory.data_len(store) if nat.memory is not None else 0
            if new_size > size and flags & 2:
                return self._reply(base, box, length, O.ST_GROW, struct.pack("<Q", new_size))
            return self._finish(base, box, length, obj, size)
        if op == O.OP_FINISH:
            obj, size = w[:2]
            return self._finish(base, box, length, obj, size)
        raise ValueError("unknown request %d" % op)

    def _finish(self, base, box, length, obj, size):
        import struct
        nat = self.native
        (status, res), tail, flags = self.pending
        self.pending = None
        if nat.memory is not None and flags & 2:
            ctypes.memmove(self._bytearray_ptr(base, obj, size),
                           nat.memory.data_ptr(nat.store), size)
        if status != 0:
            return self._reply(base, box, length, status, res)
        words = [len(res)] + res + tail
        return self._reply(base, box, length, 0, struct.pack("<%dQ" % len(words), *words))


def _api(vt, b):
    """A raw 64-bit pattern (interp.offload's mailbox form) -> a wasmtime-py value."""
    import struct
    if vt == W.I32:
        return b - (1 << 32) if b & 0x80000000 else b
    if vt == W.I64:
        return b - (1 << 64) if b & (1 << 63) else b
    if vt == W.F32:
        return struct.unpack("<f", struct.pack("<I", b & 0xFFFFFFFF))[0]
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def _raw(vt, v):
    import struct
    if vt == W.I32:
        return v & 0xFFFFFFFF
    if vt == W.I64:
        return v & 0xFFFFFFFFFFFFFFFF
    if vt == W.F32:
        return struct.unpack("<I", struct.pack("<f", v))[0]
    return struct.unpack("<Q", struct.pack("<d", v))[0]
