"""The host side of the offload doorbell for selfhost.wasm under wasmtime-py (docs/doorbell.md).

``DoorbellHost.install`` shadows WASI ``fd_advise`` in the runner's linker (or lazy_doorbell.py's
shim hands requests over: the runner's way, so that a start imports none of this); a call on the
magic fd is a request in selfhost.wasm's memory, served with a WasmtimeNative (native.py) of the app.
The protocol's constants come from selfhost/doorbell.py (their one owner).
"""
import ctypes

import wasmtime

from selfhost import doorbell as D

from .doorbell_entry import define_fd_advise
from .native import WasmtimeNative, _api, _raw, _trap_message, stack_exhausted


class DoorbellHost:
    """Serves selfhost.doorbell.DoorbellNative requests from a selfhost.wasm in wasmtime-py:
    install() shadows wasi fd_advise in the runner's linker. Guest memory is read and written
    in place in selfhost's linear memory (the guest's bytearray, found through CPython's
    PyByteArrayObject layout, checked by HELLO)."""

    # CPython's PyByteArrayObject: offsets of ob_size and ob_start, pointer size (wasm32);
    # tests use the native 64-bit layout (16, 32, 8) to run the protocol in-process
    WASM32_LAYOUT = D.BYTEARRAY_LAYOUT_WASM32

    def __init__(self, layout=WASM32_LAYOUT, trigger=None, instruments=True):
        self.trigger = trigger             # the checkpoint trigger file's host path (tier 2)
        self.instruments = instruments     # tier 2: offer to instrument the app here (HELLO)
        self.native = None
        self.pending = None
        self.unsent = None                 # a reply too long for the mailbox, for FETCH
        self.memory = None
        self.requests = 0
        self.layout = layout

    def install(self, linker, store):
        define_fd_advise(linker, store, self.fd_advise)

    def bind(self, instance, store):
        """The selfhost instance (once instantiated): its memory is found once, not looked up
        by name through the caller at every request (that costs ~100 us in wasmtime-py)."""
        mem = instance.exports(store).get("memory")
        if mem is not None:
            self.memory = (mem, store)

    def fd_advise(self, caller, fd, offset, length, advice):
        if fd != D.MAGIC_FD:
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
        """Write the reply; one longer than the mailbox is kept for a FETCH (status MORE, its
        length: the guest makes its mailbox big enough and asks again)."""
        import struct
        if len(payload) > length - 16 and status in (D.ST_OK, D.ST_UNWOUND):
            self.unsent = (status, payload)
            status, payload = D.ST_MORE, struct.pack("<Q", len(payload))
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
        O = D
        magic, op, _status, n = struct.unpack("<IIII", ctypes.string_at(base + box, 16))
        if magic != O.MAILBOX_MAGIC:
            raise ValueError("bad mailbox")
        payload = ctypes.string_at(base + box + 16, n)
        if op == O.OP_FETCH:
            status, data = self.unsent
            self.unsent = None
            return self._reply(base, box, length, status, data)
        if op == O.OP_HELLO:
            obj, size = struct.unpack("<QQ", payload[:16])
            ptr = self._bytearray_ptr(base, obj, size)
            if ctypes.string_at(ptr, size) != payload[16:16 + size]:
                raise ValueError("unexpected bytearray layout")
            return self._reply(base, box, length, O.ST_HELLO,
                               struct.pack("<Q", O.HOST_INSTRUMENTS if self.instruments else 0))
        if op == O.OP_LOAD:
            import interp
            raw_len, wasm_len, ninfo = struct.unpack("<QQQ", payload[:24])
            module = interp.decode(payload[24:24 + raw_len])
            info_at = 24 + raw_len + wasm_len
            info = struct.unpack("<%dQ" % ninfo, payload[info_at:info_at + 8 * ninfo])
            tier2 = D.tier2_request(info, module.func_types())
            if tier2 is None:
                self.native = WasmtimeNative(module)
                return self._reply(base, box, length, O.ST_OK)
            from .tier2_native import HostedInstrumented
            wasm = payload[24 + raw_len:info_at]
            points = None
            if not wasm:       # we instrument (HELLO said we do): the guest asks our map
                from .native_cache import instrumented
                funcs, unwind = tier2
                wasm, points = instrumented(module, funcs, unwind)
            self.native = HostedInstrumented(module, wasm, self.trigger, points)
            return self._reply(base, box, length, O.ST_OK)
        if op == O.OP_POINTS:
            from interp.instrument_plan import points_to_words
            func, = struct.unpack("<Q", payload[:8])
            if getattr(self.native, "points", None) is None:
                raise ValueError("no safe-point map here (the guest instrumented the app)")
            words = points_to_words(self.native.points.get(func))
            return self._reply(base, box, length, O.ST_OK,
                               struct.pack("<%dQ" % len(words), *words))
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
                    table.set(store, j, None if idx == O.NULL_REF else nat.funcs[idx])
            return self._reply(base, box, length, O.ST_OK)
        if op == O.OP_CALL:
            func_index, flags, obj, size, nargs = w[:5]
            args = w[5:5 + nargs]
            p = 5 + nargs
            n_in = w[p]
            g_in = w[p + 1:p + 1 + 2 * n_in]
            p += 1 + 2 * n_in
            g_out = w[p + 1:p + 1 + w[p]]
            p += 1 + w[p]
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
            spilled = None
            try:
                if p < len(w):           # tier 2: stop conditions, rewind records
                    r, spilled = nat.run(func_index, args, D.records_from_words(w, p + 2),
                                         w[p] * 1e-9 if w[p] else None, w[p + 1])
                else:
                    r = nat.invoke(func_index, args)
                out = (O.ST_OK, list(r)) if spilled is None else (O.ST_UNWOUND, [])
            except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
                if stack_exhausted(e):      # nothing back; a fresh instance for the next call
                    self.pending = None
                    nat._instantiate()
                    return self._reply(base, box, length, O.ST_STACK, _trap_message(e).encode())
                out = (O.ST_TRAP, _trap_message(e).encode())
            outs = [_raw(globs[q][1], globs[q][2].value(store)) for q in g_out]
            outs.append(int(nat.last_native * 1e9))
            if p < len(w):               # tier 2: the polls so far, then the spilled frames
                outs.append(nat.polls)
            if spilled is not None:
                outs += D.records_to_words(spilled)
            self.pending = (out, outs, flags)
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
        if status not in (D.ST_OK, D.ST_UNWOUND):
            return self._reply(base, box, length, status, res)
        words = [len(res)] + res + tail
        return self._reply(base, box, length, status,
                           struct.pack("<%dQ" % len(words), *words))

