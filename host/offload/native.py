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
from interp.tier2 import from_bits, to_bits
from interp.values import MASK32, MASK64

from interp.offload import EXPORT_PREFIX as PREFIX
from interp.offload import NativeStackExhausted, Sync, export_everything  # noqa: F401

from . import native_cache

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
    points = None        # no safe points (tier2_native.InstrumentedNative has them)

    def __init__(self, module):
        self.module = module
        self.engine = wasmtime.Engine()
        self.native_module = native_cache.compiled(self.engine, self._native_bytes())
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
        defined = set()
        for imp in module.imports:
            if imp.kind != "func":
                raise ValueError("cannot offload a module that imports a %s" % imp.kind)
            if (imp.module, imp.name) in defined:   # imported twice (legal): one definition
                continue
            defined.add((imp.module, imp.name))
            linker.define(self.store, imp.module, imp.name,
                          wasmtime.Func(self.store, _functype(module.types[imp.desc]),
                                        _import_stub(imp)))
        self._define_helpers(linker)
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

    def _native_bytes(self):
        """The module the native side runs: app.wasm with everything exported, no start."""
        return export_everything(self.module.raw, self.module)

    def _define_helpers(self, linker):
        """Imports of the native module beyond the app's own (none here; tier 2's helpers
        in tier2_native.py)."""

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

    def invoke(self, func_index, bits):
        """Call function ``func_index`` natively on raw arguments (i32/i64 as unsigned ints,
        f32/f64 as their IEEE bits: a float NaN's payload, signalling or not, crosses
        unchanged); returns the raw results, raises wasmtime.Trap / WasmtimeError. Straight
        through wasmtime's C API with per-function prepared argument arrays, the floats
        written and read through the value union's integer fields: wasmtime-py's
        Func.__call__ costs ~40 us per call and converts floats through C float (quieting a
        signalling NaN), this ~3 us."""
        prep = self._prepared.get(func_index)
        if prep is None:
            prep = self._prepared[func_index] = self._prepare(func_index)
        ft = self._ftypes[func_index]
        if prep is False:                   # another wasmtime-py: its own (lossy) call
            t0 = time.perf_counter()
            try:
                r = self.funcs[func_index](self.store, *[_api(t, b)
                                                         for t, b in zip(ft.params, bits)])
            finally:
                self.last_native = time.perf_counter() - t0
            nres = len(ft.results)
            r = [] if nres == 0 else [r] if nres == 1 else list(r)
            return [_raw(t, v) for t, v in zip(ft.results, r)]
        fptr, params, fields, results, rfields = prep
        for p, field, v in zip(params, fields, bits):
            setattr(p.of, field, v)         # (ctypes wraps an unsigned value into the field)
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
        return [getattr(r.of, field) & mask for r, (field, mask) in zip(results, rfields)]

    def _prepare(self, func_index):
        try:
            ft = self._ftypes[func_index]
            kinds = {W.I32: ("i32", ffi.WASMTIME_I32), W.I64: ("i64", ffi.WASMTIME_I64),
                     W.F32: ("i32", ffi.WASMTIME_F32), W.F64: ("i64", ffi.WASMTIME_F64)}
            masks = {"i32": MASK32, "i64": MASK64}
            fields = [kinds[t][0] for t in ft.params]
            params = (ffi.wasmtime_val_t * max(1, len(fields)))()
            for p, t in zip(params, ft.params):
                kind = kinds[t][1]
                p.kind = getattr(kind, "value", kind)
            results = (ffi.wasmtime_val_t * max(1, len(ft.results)))()
            rfields = [(kinds[t][0], masks[kinds[t][0]]) for t in ft.results]
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
            r = self.invoke(func_index, [to_bits(t, a) for t, a in zip(ft.params, args)])
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
        return [from_bits(t, b) for t, b in zip(ft.results, r)]

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


def make_offloader(module, threshold=None, make_native=None, analysis=None):
    """An interp.offload.Offloader for ``module`` with a wasmtime native side, attached to it:
    ``make_native(module, analysis)`` makes the side (default: the plain WasmtimeNative,
    compiled at the first offload by LazyNative, no safe point during an offloaded call;
    tier2_native.make_offloader: the instrumented one)."""
    from interp.offload import DEFAULT_THRESHOLD, Offloader, applies
    if analysis is None:
        analysis = applies(module)
    if analysis is None or not analysis.offloadable:   # e.g. it imports a global
        return None
    if make_native is None:
        native = LazyNative(module)
    else:
        try:
            native = make_native(module, analysis)
        except (wasmtime.WasmtimeError, wasmtime.Trap):
            # e.g. an element or data segment out of bounds: instantiating the module traps,
            # and the interpreter reports that itself when it instantiates it
            return None
    return Offloader(module, native, DEFAULT_THRESHOLD if threshold is None else threshold,
                     analysis=analysis).attach()


class LazyNative:
    """WasmtimeNative(module), made by prepare() (the Offloader calls it at the first offload,
    not at start: an app that never offloads never compiles itself natively). A module whose
    instantiation traps (e.g. an element or data segment out of bounds) raises there: the
    Offloader then offloads nothing, and the interpreter reports the trap itself."""

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


def _api(vt, b):
    """A raw 64-bit pattern (the doorbell mailbox's form) -> a wasmtime-py value."""
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
