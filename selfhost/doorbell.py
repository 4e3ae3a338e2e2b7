"""The guest side of the offload doorbell: how selfhost.wasm reaches a native side.

Inside selfhost.wasm the only way out is a WASI call. A launcher that offers offload shadows
``fd_advise``: a call on ``MAGIC_FD`` is a request whose mailbox (an ``array.array`` in selfhost's
linear memory) is at ``offset``, ``len`` bytes long; any other fd gets 0 (a valid fd_advise). A
plain ``wasmtime run`` answers EBADF: offload stays off. docs/doorbell.md is the protocol; this
module owns its constants (``PROTOCOL``): host/offload/doorbell_host.py imports them, and the
Node launcher gets them in its config (host/runtimes/node.py), so there is no second copy.

``DoorbellNative`` is interp.offload's "native side" interface implemented over the doorbell.
"""
import array
import os
import struct

from interp import instrument as T2
from interp import tier2
from interp.instrument_plan import points_from_words, points_to_words
from interp.errors import Trap
from interp.offload import EXPORT_PREFIX, NativeStackExhausted, Sync, export_everything

MAGIC_FD = 0x5E1F0FF
MAILBOX_MAGIC = 0x464F4853        # "SHOF"
OP_HELLO, OP_LOAD, OP_CALL, OP_FINISH, OP_TABLES, OP_FETCH, OP_POINTS = 0, 1, 2, 3, 4, 5, 6
OP_LOOKUP, OP_KEEP = 7, 8
ST_OK, ST_ERROR, ST_TRAP, ST_GROW, ST_HELLO = 0, 1, 2, 3, 0x600D
ST_STACK = 4       # native stack exhausted: nothing copied back, the native side is fresh
ST_UNWOUND = 5     # tier 2: the instrumented native code unwound, its frames follow
ST_MORE = 6        # the reply is longer than the mailbox: its length; FETCH gets it
HOST_INSTRUMENTS = 1   # HELLO's reply word, bits: the host instruments the app itself (tier 2)
HOST_KEEPS = 2         # ... the host keeps what the guest instrumented for the next run (Node)
NULL_REF = 0xFFFFFFFFFFFFFFFF
MAILBOX_HEADER = 16               # u32 magic, op, status, n
# CPython's PyByteArrayObject inside selfhost.wasm (wasm32): offsets of ob_size and ob_start,
# and the pointer size; the host finds the guest memory's bytes through it (checked by HELLO)
BYTEARRAY_LAYOUT_WASM32 = (8, 20, 4)

PROTOCOL = {
    "magic_fd": MAGIC_FD, "mailbox_magic": MAILBOX_MAGIC, "header": MAILBOX_HEADER,
    "ops": {"hello": OP_HELLO, "load": OP_LOAD, "call": OP_CALL, "finish": OP_FINISH,
            "tables": OP_TABLES, "fetch": OP_FETCH, "points": OP_POINTS, "lookup": OP_LOOKUP,
            "keep": OP_KEEP},
    "status": {"ok": ST_OK, "error": ST_ERROR, "trap": ST_TRAP, "grow": ST_GROW,
               "hello": ST_HELLO, "stack": ST_STACK, "unwound": ST_UNWOUND,
               "more": ST_MORE},
    "host_instruments": HOST_INSTRUMENTS, "host_keeps": HOST_KEEPS,
    "null_ref": "0x%x" % NULL_REF,     # a string: JSON numbers are doubles in JavaScript
    "export_prefix": EXPORT_PREFIX,
    "bytearray_layout": list(BYTEARRAY_LAYOUT_WASM32),
    # tier 2 (an instrumented native module, interp/instrument.py owns these)
    "tier2": {"import_module": T2.IMPORT_MODULE, "helpers": [h[0] for h in T2.HELPERS],
              "state_export": T2.STATE_EXPORT, "ctr_export": T2.CTR_EXPORT,
              "state_normal": T2.STATE_NORMAL, "state_rewind": T2.STATE_REWIND,
              "poll_interval": tier2.POLL_INTERVAL, "first_budget": tier2.FIRST_BUDGET,
              "max_budget": tier2.MAX_BUDGET},
}


class DoorbellNative:
    """The native side seen from inside selfhost.wasm: requests through the fd_advise doorbell.
    ``DoorbellNative.connect(module)`` returns one, or None when no launcher answers its ping;
    the handshake and the app go at ``prepare()``, the first offload."""

    def __init__(self, module):
        self.module = module
        self.box = array.array("B", bytes(4096))
        self.gtypes = module.global_types()
        self.mutable = [i for i, t in enumerate(self.gtypes) if t.mutable]
        self.ftypes = module.func_types()
        self._tables_sent = None
        self._pos = {g: p for p, g in enumerate(self.mutable)}   # position in the mutable list
        self._full = Sync(True, True, self.mutable, self.mutable)
        self.bytes_in = self.bytes_out = 0   # guest memory bytes copied in / back
        self.last_native = 0.0               # seconds in the last native call itself
        self._loaded = False                 # HELLO and LOAD done (prepare)

    # -- raw mailbox access
    def _ensure(self, nbytes):
        if len(self.box) < nbytes:
            self.box = array.array("B", bytes(max(nbytes, 2 * len(self.box))))

    def _ring(self, op, payload=b""):
        self._ensure(16 + len(payload))
        box = self.box
        box[0:16] = array.array("B", struct.pack("<IIII", MAILBOX_MAGIC, op, 0xFFFFFFFF,
                                                       len(payload)))
        if payload:
            box[16:16 + len(payload)] = array.array("B", payload)
        addr, n = box.buffer_info()
        os.posix_fadvise(MAGIC_FD, addr, n, 0)
        _magic, _op, status, count = struct.unpack("<IIII", box[0:16].tobytes())
        if status == ST_MORE:           # a long reply (tier 2's frames): fetch it whole
            need, = struct.unpack("<Q", box[16:24].tobytes())
            self._ensure(need + 16)
            return self._ring(OP_FETCH)
        return status, box[16:16 + count].tobytes()

    def _words(self, words):
        return struct.pack("<%dQ" % len(words), *words)

    @classmethod
    def connect(cls, module, *args):
        """A DoorbellNative (made with ``args``), or None when no launcher answers the ping
        (fd_advise on MAGIC_FD with length 0; a plain host answers EBADF). Nothing else is
        sent before prepare()."""
        try:
            os.posix_fadvise(MAGIC_FD, 0, 0, 0)
        except (OSError, AttributeError):
            return None
        return cls(module, *args)

    def prepare(self):
        """HELLO (the host checks that it finds the guest's bytes where it expects them), then
        LOAD (it decodes and compiles the app), once: the Offloader calls it at the first
        offload, so a run that never offloads never pays for them. RuntimeError if the host
        cannot."""
        if self._loaded:
            return
        probe = bytearray(b"selfhost-offload-probe")
        status, reply = self._ring(OP_HELLO, self._words([id(probe), len(probe)]) + bytes(probe))
        if status != ST_HELLO:
            raise RuntimeError("offload: the host refused the handshake: %s"
                               % reply.decode("utf-8", "replace"))
        flags, = struct.unpack("<Q", reply[:8]) if len(reply) >= 8 else (0,)
        self.host_instruments = bool(flags & HOST_INSTRUMENTS)
        self.host_keeps = bool(flags & HOST_KEEPS)
        self._before_load()
        status, reply = self._ring(OP_LOAD, self._load_payload())
        if status != ST_OK:
            raise RuntimeError("offload: the host cannot load the app: %s"
                               % reply.decode("utf-8", "replace"))
        self._loaded = True
        self._after_load()

    def _before_load(self):
        """Between HELLO and LOAD (tier 2 asks the host whether it kept the app)."""

    def _after_load(self):
        """After LOAD (tier 2 hands the host what it should keep)."""

    def _load_payload(self):
        """words [len(raw), len(rewritten), n info words], the module as is, the module with
        everything exported (export_everything), then info for hosts that cannot decode it
        (node): per function its param and result types, then the mutable globals' types."""
        module = self.module
        raw = module.raw
        rewritten = self._native_bytes()
        info = [len(self.ftypes)]
        for ft in self.ftypes:
            info += [len(ft.params), *ft.params, len(ft.results), *ft.results]
        info.append(len(self.mutable))
        info += [self.gtypes[i].valtype for i in self.mutable]
        info += self._tier2_info()
        return (self._words([len(raw), len(rewritten), len(info)]) + raw + rewritten
                + self._words(info))

    tier2 = False        # DoorbellTier2: the native module is the instrumented one
    points = None
    host_instruments = False
    host_keeps = False

    def _tier2_info(self):
        """LOAD's last info words: the tier-2 flag (0 here)."""
        return [0]

    def _native_bytes(self):
        """The module the host runs: the app with everything exported (export_everything)."""
        return export_everything(self.module.raw, self.module)

    def call(self, inst, func_index, args, sync=None):
        return self._exchange(inst, func_index, args, sync, None)

    def _exchange(self, inst, func_index, args, sync, tail):
        """One CALL (``tail``: tier 2's stop conditions and rewind records, or None) to its
        results; ST_UNWOUND returns ``tier2.Unwound`` (not raised: the caller decides)."""
        self.prepare()
        tables = [[(f.index if getattr(f, "instance", None) is inst else NULL_REF)
                   if f is not None else NULL_REF for f in t.elements] for t in inst.tables]
        if tables != self._tables_sent:
            words = [len(tables)]
            for t in tables:
                words.append(len(t))
                words.extend(t)
            status, reply = self._ring(OP_TABLES, self._words(words))
            if status != ST_OK:
                raise RuntimeError("offload: %s" % reply.decode("utf-8", "replace"))
            self._tables_sent = tables
        if sync is None:
            sync = self._full
        ft = self.ftypes[func_index]
        mem = inst.mems[0].data if inst.mems else bytearray()
        G = inst.globals
        gtypes = self.gtypes
        pos = self._pos
        flags = (1 if sync.mem_in else 0) | (2 if sync.mem_out else 0)
        words = [func_index, flags, id(mem), len(mem), len(args)]
        words += [tier2.to_bits(t, a) for t, a in zip(ft.params, args)]
        words.append(len(sync.globals_in))
        for g in sync.globals_in:
            words += [pos[g], tier2.to_bits(gtypes[g].valtype, G[g].v)]
        words.append(len(sync.globals_out))
        words += [pos[g] for g in sync.globals_out]
        if tail:
            words += tail
        if sync.mem_in:
            self.bytes_in += len(mem)
        status, reply = self._ring(OP_CALL, self._words(words))
        if status == ST_GROW:
            new_len = struct.unpack("<Q", reply[:8])[0]
            inst.mems[0].grow((new_len - len(mem)) >> 16)
            status, reply = self._ring(OP_FINISH, self._words([id(mem), len(mem)]))
        if status == ST_STACK:
            self._tables_sent = None        # the host re-instantiated: tables are fresh
            raise NativeStackExhausted(reply.decode("utf-8", "replace"))
        if status == ST_TRAP:
            raise Trap(reply.decode("utf-8", "replace"))
        if status not in (ST_OK, ST_UNWOUND):
            raise RuntimeError("offload: %s" % reply.decode("utf-8", "replace"))
        if sync.mem_out:
            self.bytes_out += len(mem)
        w = struct.unpack("<%dQ" % (len(reply) // 8), reply)
        nres = w[0]
        results = [tier2.from_bits(t, b) for t, b in zip(ft.results, w[1:1 + nres])]
        p = 1 + nres
        for g, b in zip(sync.globals_out, w[p:p + len(sync.globals_out)]):
            G[g].v = tier2.from_bits(gtypes[g].valtype, b)
        p += len(sync.globals_out)
        self.last_native = w[p] * 1e-9
        if tail:                           # tier 2: the host's polls so far, spilled frames
            self.polls = w[p + 1]
            if status == ST_UNWOUND:
                return tier2.Unwound(records_from_words(w, p + 2))
        return results


def records_from_words(w, p):
    """tier2 Records from the words ``w[p:]``: count, then per record func, point, the number
    of values, the values (as the doorbell protocol writes them)."""
    out = []
    n = w[p]
    p += 1
    for _ in range(n):
        func, point, nv = w[p], w[p + 1], w[p + 2]
        out.append(tier2.Record(func, point, list(w[p + 3:p + 3 + nv])))
        p += 3 + nv
    return out


def tier2_request(info, ftypes):
    """LOAD's info words (``_load_payload``; ``ftypes``: the app's function types) -> None
    for plain offload, or (the functions to instrument, the imports whose calls unwind)."""
    k = 1 + sum(2 + len(ft.params) + len(ft.results) for ft in ftypes)
    k += 1 + info[k]                  # (the mutable globals' types)
    if not info[k]:                   # the tier-2 flag
        return None
    nf = info[k + 1]
    nu = info[k + 2 + nf]
    return list(info[k + 2:k + 2 + nf]), list(info[k + 3 + nf:k + 3 + nf + nu])


def records_to_words(records):
    words = [len(records)]
    for r in records:
        words += [r.func, r.point, len(r.values), *r.values]
    return words


class HostPoints:
    """The safe-point map of an app the host instrumented, asked of the host one function at
    a time (the POINTS op) at its first use: the guest never instruments the app itself (that
    costs seconds inside selfhost.wasm for a big one), and the map is the host's own, so it
    always describes the module the host runs. A mapping: ``points[f]``, ``get``, ``in``."""

    def __init__(self, doorbell):
        self._doorbell = doorbell
        self._known = {}

    def get(self, func, default=None):
        if func not in self._known:
            status, reply = self._doorbell._ring(OP_POINTS, self._doorbell._words([func]))
            if status != ST_OK:
                raise RuntimeError("offload: %s" % reply.decode("utf-8", "replace"))
            w = struct.unpack("<%dQ" % (len(reply) // 8), reply)
            self._known[func] = points_from_words(w)
        fp = self._known[func]
        return default if fp is None else fp

    def __getitem__(self, func):
        fp = self.get(func)
        if fp is None:
            raise KeyError(func)
        return fp

    def __contains__(self, func):
        return self.get(func) is not None


class DoorbellTier2(DoorbellNative):
    """Tier 2 over the doorbell: the host runs the app instrumented (interp/instrument.py,
    with its defaults), by the host itself when its HELLO says so (then the safe-point map
    comes from it too: HostPoints), else by this side at prepare() (Node: no decoder there),
    which keeps the map. The host cannot ask the guest while native code runs, so each call
    carries what would stop it (``Machine.stop_conditions``, set by the session: the timer's
    deadline, whether the trigger file counts; the launcher knows the file's host path): the
    host's poll unwinds on them, and the guest then asks its machine (``stop_wanted``); a stop
    it does not confirm goes on natively at once (continue_records). A call with rewind
    records is a rewind. ``import_unwind``: imports whose calls unwind to selfhost's own WASI
    (--offload imports)."""

    tier2 = True

    def __init__(self, module, funcs, import_unwind=()):
        super().__init__(module)
        self._funcs = sorted(funcs)
        self._import_unwind = tuple(import_unwind)
        self.instrumented = None
        self._host_points = None
        self.kept = False         # the host had kept this app's instrumentation (LOOKUP)
        self.polls = 0            # native polls (the host counts them)
        self.unwinds = self.rewinds = 0

    def _instrument(self):
        if self.instrumented is None:
            self.instrumented = T2.instrument(self.module, self._funcs,
                                              import_unwind=self._import_unwind)
        return self.instrumented

    @property
    def points(self):
        """The safe-point map: the host's (asked per function) when it instrumented the app,
        else ours (None: the host refused the app, nothing runs natively). Only unwinds and
        rewinds look at it."""
        try:
            self.prepare()
        except RuntimeError:
            return None
        if self.host_instruments or self.kept:
            if self._host_points is None:
                self._host_points = HostPoints(self)
            return self._host_points
        return self._instrument().funcs

    def _native_bytes(self):
        if (self.host_instruments or self.kept) and self.instrumented is None:
            return b""     # the host (CPython) instruments far faster than we do, or kept it
        return self._instrument().data

    @property
    def instrumented_by(self):
        """Who made the instrumented app (--profile's tier 2 line)."""
        if self.host_instruments:
            return "by the host"
        return "kept by the host from an earlier run" if self.kept else "by selfhost.wasm"

    def _keep_key(self):
        """What names this app's instrumentation for the host that keeps it: the app and
        the tier-2 request (the host adds its selfhost.wasm, the instrumenter)."""
        import hashlib
        return hashlib.sha256(self.module.raw + self._words(self._tier2_info())).digest()

    def _before_load(self):
        if self.host_keeps and not self.host_instruments:
            status, reply = self._ring(OP_LOOKUP, self._keep_key())
            self.kept = status == ST_OK and reply[:8] == struct.pack("<Q", 1)

    def _after_load(self):
        if self.host_keeps and not self.host_instruments and not self.kept:
            funcs = self._instrument().funcs
            words = [len(funcs)]
            for f in sorted(funcs):
                w = points_to_words(funcs[f])
                words += [len(w), *w]
            self._ring(OP_KEEP, self._keep_key() + self._words(words))   # (best effort)

    def _tier2_info(self):
        """The tier-2 flag, then the functions to instrument and the imports whose calls
        unwind (for a host that instruments the app itself, HELLO said so)."""
        return [1, len(self._funcs), *self._funcs, len(self._import_unwind),
                *self._import_unwind]

    def call(self, inst, func_index, args, sync=None):
        return self._run(inst, func_index, args, sync, [])

    def rewind(self, inst, plan, sync=None):
        """Continue a tier2.RewindPlan natively; its bottom function's results, or Unwound."""
        if plan.records:
            self.rewinds += 1
        return self._run(inst, plan.func, plan.args, sync, plan.records)

    def _run(self, inst, func_index, args, sync, records):
        machine = inst.machine
        while True:
            conditions = machine.stop_conditions
            deadline, trigger = (None, False) if conditions is None else conditions()
            tail = [0 if deadline is None else max(1, int(deadline * 1e9)), int(trigger)]
            out = self._exchange(inst, func_index, args, sync, tail + records_to_words(records))
            if not isinstance(out, tier2.Unwound):
                return out
            self.unwinds += 1
            spilled = out.records
            points = self.points
            if (points[spilled[0].func].point(spilled[0].point).kind == "import"
                    or machine.stop_wanted()):
                raise out            # (the Offloader serves an import, or the machine stops)
            plan = tier2.continue_records(spilled, points)   # not a stop after all: go on
            func_index, args, records = plan.func, plan.args, plan.records
            self.rewinds += 1
