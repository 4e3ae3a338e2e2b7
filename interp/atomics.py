"""The threads proposal's atomic instructions, on the one (non-shared) memory interp has.

wasmtime runs them on a non-shared memory too (nextpnr's C++ runtime uses atomic add/sub for
reference counts): with one thread an atomic access is an ordinary one, checked for natural
alignment ("unaligned atomic"); ``memory.atomic.notify`` wakes nobody (0), and a wait traps, as
on any non-shared memory. A shared memory itself is still an unsupported feature (decode).

``SPECS[op]`` describes an instruction for validation and lowering: (kind, value type, access
bytes), kind "load" / "store" / a read-modify-write name / "cmpxchg" / "notify" / "wait".
Both tiers run them through cold.run_cold (internal op ATOMIC), which calls ``run``.
"""
import struct

from . import opcodes as W
from .errors import Trap

_UNPACK = {1: struct.Struct("<B"), 2: struct.Struct("<H"), 4: struct.Struct("<I"),
           8: struct.Struct("<Q")}
_RMW = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "and": lambda x, y: x & y,
        "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y, "xchg": lambda x, y: y}


def _specs():
    specs = {W.BY_NAME["memory.atomic.notify"]: ("notify", W.I32, 4),
             W.BY_NAME["memory.atomic.wait32"]: ("wait", W.I32, 4),
             W.BY_NAME["memory.atomic.wait64"]: ("wait", W.I64, 8)}
    for op, name in W.NAMES.items():
        t, _, rest = name.partition(".atomic.")
        if not rest or t not in ("i32", "i64"):
            continue
        vt = W.I32 if t == "i32" else W.I64
        digits = "".join(c for c in rest.split(".")[0] if c.isdigit())
        size = int(digits) // 8 if digits else (4 if vt == W.I32 else 8)
        kind = rest.split(".")[-1].replace("_u", "")
        if kind.startswith("load"):
            kind = "load"
        elif kind.startswith("store"):
            kind = "store"
        specs[op] = (kind, vt, size)
    return specs


SPECS = _specs()
ALIGN = {1: 0, 2: 1, 4: 2, 8: 3}   # access bytes -> the natural alignment exponent


def signature(op):
    """(operand types popped, bottom first; result type or None) of atomic op `op`."""
    kind, vt, _ = SPECS[op]
    if kind == "load":
        return [W.I32], vt
    if kind == "store":
        return [W.I32, vt], None
    if kind == "notify":
        return [W.I32, W.I32], W.I32
    if kind == "wait":
        return [W.I32, vt, W.I64], W.I32
    if kind == "cmpxchg":
        return [W.I32, vt, vt], vt
    return [W.I32, vt], vt


def _address(stack_addr, offset, size, mem):
    ea = stack_addr + offset
    if ea + size > len(mem):
        raise Trap("out of bounds memory access")
    if ea % size:
        raise Trap("unaligned atomic")
    return ea


def run(spec, stack, mem):
    """Run the atomic instruction (kind, value type, size, offset) on ``stack``."""
    kind, _vt, size, offset = spec
    pop = stack.pop
    if mem is None:
        mem = b""
    if kind == "load":
        ea = _address(pop(), offset, size, mem)
        stack.append(_UNPACK[size].unpack_from(mem, ea)[0])
    elif kind == "store":
        v = pop()
        ea = _address(pop(), offset, size, mem)
        _UNPACK[size].pack_into(mem, ea, v & ((1 << (8 * size)) - 1))
    elif kind == "notify":
        pop()
        _address(pop(), offset, size, mem)
        stack.append(0)        # no one waits on a non-shared memory
    elif kind == "wait":
        pop()
        pop()
        _address(pop(), offset, size, mem)
        raise Trap("atomic wait on non-shared memory")
    else:
        mask = (1 << (8 * size)) - 1
        if kind == "cmpxchg":
            new = pop()
            expected = pop() & mask
        else:
            v = pop()
        ea = _address(pop(), offset, size, mem)
        st = _UNPACK[size]
        old = st.unpack_from(mem, ea)[0]
        if kind == "cmpxchg":
            if old == expected:
                st.pack_into(mem, ea, new & mask)
        else:
            st.pack_into(mem, ea, _RMW[kind](old, v) & mask)
        stack.append(old)
