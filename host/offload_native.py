"""The native side of hot-function offload for selfhost running on CPython: wasmtime-py.

``WasmtimeNative(module)`` instantiates the same app.wasm in wasmtime, rewritten so that every
function, global, table and the memory are exported (under reserved names) and without its start
section; every import is a stub that traps (offloaded functions never reach an import, see
interp/offload.py). ``call(inst, func_index, args)`` implements the interface of
interp/offload.py:

* in: the guest memory is copied whole into the native memory (grown to the same size first),
  mutable globals are set, funcref tables are updated where they changed since the last call
  (funcs by function index);
* the call; a wasmtime trap becomes interp's Trap with the spec's message;
* out: the native memory is copied back (the guest memory grown first when the call grew it),
  mutable globals are read back.

Whole-memory copies measured fine for typical C apps (a memmove of a few hundred KiB each way
costs tens of microseconds); see tests/test_offload.py for the measurement. Real programs can
have far larger heaps (zstd: 20 MiB, several ms of copying per call) and small hot functions
called thousands of times: zstd and brotli ran 25-45x slower than with offload off
(tests/test_real_programs.py). So the native side measures each function: the Wasm
instructions it ran (wasmtime's fuel meter) and the time spent copying for it. When, over
DEMOTE_AFTER calls, the copying took longer than tier 1 would take to run those instructions
(at TIER1_RATE), the function is handed back to tier 1 (codegen.promote replaces its entries:
later calls never come here).
"""
import ctypes
import time

import wasmtime

from interp import opcodes as W
from interp.errors import Trap
from interp.runtime import from_internal, to_internal

from interp.offload import PREFIX, export_everything  # noqa: F401 (re-exported)

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


# Hand a function back to tier 1 when, over DEMOTE_AFTER calls, copying memory in and out took
# longer than tier 1 would take to run the instructions the calls ran natively. TIER1_RATE:
# Wasm instructions per second of tier 1 on CPython, on the low side (12-60 million measured,
# README "Performance"), so that only clear losers are demoted.
DEMOTE_AFTER = 8
TIER1_RATE = 10e6
_FUEL = 1 << 62


_VT = {W.I32: wasmtime.ValType.i32, W.I64: wasmtime.ValType.i64,
       W.F32: wasmtime.ValType.f32, W.F64: wasmtime.ValType.f64,
       W.FUNCREF: wasmtime.ValType.funcref, W.EXTERNREF: wasmtime.ValType.externref}


def _functype(ft):
    return wasmtime.FuncType([_VT[t]() for t in ft.params], [_VT[t]() for t in ft.results])


class WasmtimeNative:
    """A native wasmtime instance of ``module`` (an interp Module with .raw bytes)."""

    def __init__(self, module):
        self.module = module
        config = wasmtime.Config()
        config.consume_fuel = True      # counts the instructions an offloaded call runs
        self.engine = wasmtime.Engine(config)
        self.native_module = wasmtime.Module(self.engine, export_everything(module.raw, module))
        self.bytes_copied = 0
        self._guest = None
        self._instantiate()

    def _instantiate(self):
        """A fresh native instance (one per guest instance: the native memory must never be
        larger than the guest's)."""
        module = self.module
        self.store = wasmtime.Store(self.engine)
        self.store.set_fuel(_FUEL)
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
        self._cost = {}      # func_index -> [calls, copy seconds, instructions run]
        self.demoted = set()

    def _account(self, inst, func_index, copy_s, fuel):
        cost = self._cost.get(func_index)
        if cost is None:
            cost = self._cost[func_index] = [0, 0.0, 0]
        cost[0] += 1
        cost[1] += copy_s
        cost[2] += fuel
        if cost[0] < DEMOTE_AFTER:
            return
        if cost[1] * TIER1_RATE > cost[2]:
            self._demote(inst, func_index)
        cost[:] = [0, 0.0, 0]

    def _demote(self, inst, func_index):
        """Back to tier 1: its generator replaces the offload entries of the function."""
        from interp import codegen
        k = func_index - (len(inst.funcs) - len(inst.module.funcs))
        machine = getattr(inst, "machine", None)
        check_every = getattr(machine, "check_every", None) or 10_000
        if k >= 0 and codegen.promote(inst, k, check_every) is not None:
            self.demoted.add(func_index)

    def call(self, inst, func_index, args):
        if inst is not self._guest:
            if self._guest is not None:
                self._instantiate()
            self._guest = inst
        store = self.store
        clock = time.perf_counter
        t0 = clock()
        # in: memory, mutable globals, changed table entries
        mem = inst.mems[0].data if self.memory is not None else None
        if mem is not None:
            n = len(mem)
            have = self.memory.data_len(store)
            if have < n:
                self.memory.grow(store, (n - have) >> 16)
            buf = (ctypes.c_char * n).from_buffer(mem)
            ctypes.memmove(self.memory.data_ptr(store), buf, n)
            del buf
            self.bytes_copied += n
        for i, vt, g in self.globals:
            g.set_value(store, from_internal(vt, inst.globals[i].v))
        for t, table in enumerate(self.tables):
            elems = inst.tables[t].elements
            synced = self._synced_tables[t]
            if elems != synced:
                self._sync_table(store, table, elems, synced)
                self._synced_tables[t] = list(elems)
        ft = self._ftypes[func_index]
        t1 = clock()
        fuel = store.get_fuel()
        if fuel < _FUEL // 2:
            store.set_fuel(_FUEL)
            fuel = _FUEL
        try:
            r = self.funcs[func_index](store, *[from_internal(t, a)
                                                for t, a in zip(ft.params, args)])
            trap = None
        except wasmtime.Trap as e:
            trap = e
        except wasmtime.WasmtimeError as e:
            trap = e
        fuel -= store.get_fuel()
        t2 = clock()
        # out: memory (grown first if the call grew it), mutable globals
        if mem is not None:
            n = self.memory.data_len(store)
            if n > len(mem):
                inst.mems[0].grow((n - len(mem)) >> 16)
            buf = (ctypes.c_char * n).from_buffer(mem)
            ctypes.memmove(buf, self.memory.data_ptr(store), n)
            del buf
            self.bytes_copied += n
        for i, vt, g in self.globals:
            inst.globals[i].v = to_internal(vt, g.value(store))
        if trap is not None:
            raise Trap(_trap_message(trap)) from None
        self._account(inst, func_index, (t1 - t0) + (clock() - t2), fuel)
        if not ft.results:
            return []
        if len(ft.results) == 1:
            return [to_internal(ft.results[0], r)]
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
    """An interp.offload.Offloader for ``module`` with a wasmtime native side, attached to it."""
    from interp.offload import DEFAULT_THRESHOLD, Offloader
    native = WasmtimeNative(module)
    return Offloader(module, native,
                     DEFAULT_THRESHOLD if threshold is None else threshold).attach()


# ------------------------------------------------- the doorbell host side (selfhost.wasm guests)

class DoorbellHost:
    """Serves interp.offload.DoorbellNative requests from a selfhost.wasm running in wasmtime:
    install() shadows wasi fd_advise in the runner's linker. Guest memory is read and written
    in place in selfhost's linear memory (the guest's bytearray, found through CPython's
    PyByteArrayObject layout, checked by HELLO)."""

    # CPython's PyByteArrayObject: offsets of ob_size and ob_start, pointer size (wasm32);
    # tests use the native 64-bit layout (16, 32, 8) to run the protocol in-process
    WASM32_LAYOUT = (8, 20, 4)

    def __init__(self, layout=WASM32_LAYOUT):
        self.native = None
        self.pending = None
        self.requests = 0
        self.layout = layout

    def install(self, linker, store):
        linker.allow_shadowing = True
        i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
        ty = wasmtime.FuncType([i32, i64, i64, i32], [i32])
        linker.define(store, "wasi_snapshot_preview1", "fd_advise",
                      wasmtime.Func(store, ty, self.fd_advise, access_caller=True))

    def fd_advise(self, caller, fd, offset, length, advice):
        from interp.offload import MAGIC_FD
        if fd != MAGIC_FD:
            return 0                       # advice is advisory: success
        base = ctypes.addressof(caller["memory"].data_ptr(caller).contents)
        self.handle(base, offset, length)
        return 0

    def handle(self, base, offset, length):
        """Serve the mailbox at ``base + offset`` (``base``: where the guest's memory is)."""
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
            func_index, obj, size, nargs = w[:4]
            args = w[4:4 + nargs]
            nglob = w[4 + nargs]
            gvals = w[5 + nargs:5 + nargs + nglob]
            ft = nat._ftypes[func_index]
            if nat.memory is not None:
                have = nat.memory.data_len(store)
                if have < size:
                    nat.memory.grow(store, (size - have) >> 16)
                ctypes.memmove(nat.memory.data_ptr(store),
                               self._bytearray_ptr(base, obj, size), size)
            for (i, vt, g), b in zip(nat.globals, gvals):
                g.set_value(store, _api(vt, b))
            try:
                r = nat.funcs[func_index](store, *[_api(t, b) for t, b in zip(ft.params, args)])
                if not ft.results:
                    r = []
                elif len(ft.results) == 1:
                    r = [r]
                out = (O.ST_OK, [_raw(t, v) for t, v in zip(ft.results, r)])
            except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
                out = (O.ST_TRAP, _trap_message(e).encode())
            globs = [_raw(vt, g.value(store)) for _i, vt, g in nat.globals]
            self.pending = (out, globs)
            new_size = nat.memory.data_len(store) if nat.memory is not None else 0
            if new_size > size:
                return self._reply(base, box, length, O.ST_GROW, struct.pack("<Q", new_size))
            return self._finish(base, box, length, obj, size)
        if op == O.OP_FINISH:
            obj, size = w[:2]
            return self._finish(base, box, length, obj, size)
        raise ValueError("unknown request %d" % op)

    def _finish(self, base, box, length, obj, size):
        import struct
        nat = self.native
        if nat.memory is not None:
            ctypes.memmove(self._bytearray_ptr(base, obj, size),
                           nat.memory.data_ptr(nat.store), size)
        (status, res), globs = self.pending
        self.pending = None
        if status != 0:
            return self._reply(base, box, length, status, res)
        words = [len(res)] + res + globs
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
