"""Machine state <-> Snapshot: the glue between interp's run loop and the snapshot format.

capture() turns what ``Machine.capture()`` returns at a safe point (frames as plain dicts) plus
the instance's globals, memories and tables into a Snapshot: every value gets its Wasm type
(locals from the function's declaration, operand values from re-running validation up to the
frame's pc), references become function indices. restore() does the reverse into a *fresh*
instance of the same module, ready for ``Machine.resume(frames)``.

A frame that is not the innermost is suspended inside a call: its pc is the offset of the
instruction after the call, and its operand values exclude the callee's results (they are
pushed when the callee returns).

Exceptions (an exnref in a local, on the stack, in a global or a table) go into
``Snapshot.exceptions`` once each, payload first (a payload may hold another exnref), their tag
as an index in the instance's tag space; restore() rebuilds them in that order, so two exnrefs
to one exception are again one object. A frame inside a try_table needs nothing more: the
handlers are static (the function's code), found again from the restored pc.
"""
import hashlib

from interp import opcodes as op
from interp.runtime import instantiate
from interp.values import Exn
from interp.validate import stack_types_at

from . import against_module
from .snapshot import (ExceptionState, Frame, InvalidState, Label, MemoryState, ModuleMismatch,
                       Snapshot, TableState)


def module_sha256(module):
    return hashlib.sha256(module.raw).digest()


def _ref_index(instance, ref):
    """A funcref -> its index in the instance's function space (None for null)."""
    if ref is None:
        return None
    index = getattr(ref, "index", None)
    if getattr(ref, "instance", None) is instance and instance.funcs[index] is ref:
        return index
    for i, f in enumerate(instance.funcs):
        if f is ref:
            return i
    raise InvalidState("cannot checkpoint a reference to a function of another instance")


class _Values:
    """Runtime values -> snapshot values for one capture (it owns the exception table)."""

    def __init__(self, instance):
        self.instance = instance
        self.exceptions = []      # ExceptionState, in the order they are numbered
        self._exn_index = {}      # id(Exn) -> index (the Exn objects stay alive meanwhile)

    def value(self, valtype, value):
        if valtype == op.FUNCREF:
            return (valtype, _ref_index(self.instance, value))
        if valtype == op.EXNREF:
            return (valtype, None if value is None else self.exception(value))
        if valtype == op.EXTERNREF and value is not None:
            raise InvalidState("cannot checkpoint a non-null externref")
        return (valtype, value)

    def exception(self, exn):
        index = self._exn_index.get(id(exn))
        if index is not None:
            return index
        tags = self.instance.tags
        for tag_index, tag in enumerate(tags):
            if tag is exn.tag:
                break
        else:
            raise InvalidState("cannot checkpoint an exception whose tag is not in the "
                               "instance's tag space")
        payload = [self.value(t, v) for t, v in zip(exn.tag.type.params, exn.values)]
        index = self._exn_index[id(exn)] = len(self.exceptions)
        self.exceptions.append(ExceptionState(tag_index, payload))
        return index


class _BodyInfo:
    """Per-function facts needed to type a frame, computed once per capture."""

    def __init__(self, module, k):
        func = module.funcs[k]
        self.module = module
        self.k = k
        self.body = func.body
        self.local_types = list(module.types[func.type_idx].params) + list(func.locals)
        self.index_of = {instr[2]: i for i, instr in enumerate(func.body)}
        self._types = {}

    def types_at(self, pc):
        """(operand types, open blocks) before the instruction at Wasm offset pc."""
        if pc not in self._types:
            index = self.index_of.get(pc)
            if index is None:
                raise InvalidState("pc 0x%x is not an instruction of function %d" % (pc, self.k))
            self._types[pc] = stack_types_at(self.module, self.k, index)
        return self._types[pc]

    def labels(self, blocks):
        out = []
        heights = self.module.codemap.heights[self.k]
        for opcode, start, result_count in blocks:
            if start < 0:
                out.append(Label(0, 0, 0, result_count))
                continue
            blocktype = self.body[start][1]
            if opcode == op.TRY_TABLE:
                blocktype = blocktype[0]
            nparams = len(self.module.types[blocktype].params) if blocktype >= 0 else 0
            height = heights[start] - nparams if heights else 0
            arity = nparams if opcode == op.LOOP else result_count
            out.append(Label(opcode, self.body[start][2], height, arity))
        return out


def capture(frames, instance, wasi=None, stats=None, created_by=""):
    """Build a Snapshot from ``frames`` (Machine.capture() output, outermost first) and the
    state of ``instance``. ``wasi`` is the WASI section (checkpoint/wasi_state.to_json)."""
    module = instance.module
    first_defined = len(instance.funcs) - len(module.funcs)
    infos = {}
    out = []
    values = _Values(instance)
    _value = values.value
    for i, d in enumerate(frames):
        if d["instance"] is not instance:
            raise InvalidState("cannot checkpoint frames of more than one module instance")
        k = d["func"] - first_defined
        info = infos.get(k) or infos.setdefault(k, _BodyInfo(module, k))
        types, blocks = info.types_at(d["pc"])
        if i + 1 < len(frames):  # suspended in a call: the callee's results are not there yet
            callee = instance.funcs[frames[i + 1]["func"]]
            types = types[:len(types) - len(callee.type.results)]
        stack = d["stack"]
        if len(types) != len(stack):
            raise InvalidState("frame %d: %d operand values but %d types at pc 0x%x"
                               % (i, len(stack), len(types), d["pc"]))
        out.append(Frame(
            func=d["func"], pc=d["pc"],
            locals=[_value(t, v) for t, v in zip(info.local_types, d["locals"])],
            stack=[_value(t, v) for t, v in zip(types, stack)],
            labels=info.labels(blocks), tier=d.get("tier", "interp")))
    return Snapshot(
        module_sha256=module_sha256(module),
        frames=out,
        globals=[_value(g.valtype, g.v) for g in instance.globals],
        memories=[MemoryState(m.pages, m.max, bytes(m.data)) for m in instance.mems],
        tables=[TableState(t.reftype, t.max, [_value(t.reftype, r)[1] for r in t.elements])
                for t in instance.tables],
        dropped_elems=[i for i, seg in enumerate(instance.elems)
                       if not seg and module.elems[i].init],
        dropped_datas=[i for i, seg in enumerate(instance.datas)
                       if not seg and module.datas[i].init],
        exceptions=values.exceptions,
        wasi=wasi or {},
        stats=stats or {},
        created_by=created_by)


def restore(snapshot, module, imports, machine=None, consume=False):
    """Instantiate ``module`` afresh (no start function) and load the snapshot's state into
    it, after checking every field against the module (against_module.check: a snapshot is
    untrusted input). Returns (instance, frames) for ``instance.machine.resume(frames)``.
    ``consume``: the instance takes the snapshot's memory buffers over instead of copying
    them (the snapshot's memories then change with the running app: use it only once)."""
    digest = module_sha256(module)
    if snapshot.module_sha256 != digest:
        raise ModuleMismatch(snapshot.module_sha256, digest)
    limit = getattr(machine, "max_call_depth", None)
    against_module.check(snapshot, module, max_frames=limit)
    inst = instantiate(module, imports, machine=machine, run_start=False)
    if (len(snapshot.memories) != len(inst.mems) or len(snapshot.tables) != len(inst.tables)
            or len(snapshot.globals) != len(inst.globals)):
        raise InvalidState("snapshot does not match the module's memories, tables or globals")
    exns = []
    for state in snapshot.exceptions:
        if not 0 <= state.tag < len(inst.tags):
            raise InvalidState("snapshot names tag %d; the module has %d" % (state.tag,
                                                                             len(inst.tags)))
        exns.append(Exn(inst.tags[state.tag],
                        tuple(_ref(inst, t, v, exns) for t, v in state.values)))
    nimported = len(module.imported("memory"))
    for i, (mem, state) in enumerate(zip(inst.mems, snapshot.memories)):
        if consume and i >= nimported and type(state.data) is bytearray:
            mem.data = state.data        # the fresh memory's own: no second copy of it
        else:
            mem.data[:] = state.data     # an imported memory keeps its identity
    for glob, (valtype, value) in zip(inst.globals, snapshot.globals):
        glob.v = _ref(inst, valtype, value, exns)
    for table, state in zip(inst.tables, snapshot.tables):
        table.elements[:] = [_ref(inst, state.reftype, r, exns) for r in state.elements]
    for i in snapshot.dropped_elems:
        inst.elems[i] = []
    for i in snapshot.dropped_datas:
        inst.datas[i] = b""
    frames = [{"func": f.func, "instance": inst, "pc": f.pc,
               "locals": [_ref(inst, t, v, exns) for t, v in f.locals],
               "stack": [_ref(inst, t, v, exns) for t, v in f.stack]} for f in snapshot.frames]
    return inst, frames


def _ref(inst, valtype, value, exns):
    """A snapshot value -> the runtime value (function indices become function objects,
    exception indices the rebuilt exceptions)."""
    if value is not None:
        if valtype == op.FUNCREF:
            return inst.funcs[value]
        if valtype == op.EXNREF:
            return exns[value]
    return value
