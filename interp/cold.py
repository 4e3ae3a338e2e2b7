"""Cold instructions, shared by both tiers: memory and table management, segments, references.

They neither call nor change the frame, and are rare enough to run outside the hot loops: tier 0
(machine.py) and tier 1's generated code (through ``_cold_op``) both call ``run_cold``.
"""
from . import atomics
from .errors import Trap


def run_cold(op, a, b, inst, stack, mem):
    """Run the rare internal instruction ``op`` (lower.py's numbering, 102..118, 124) on
    ``stack``."""
    pop = stack.pop
    if op == 102:  # UNREACHABLE
        raise Trap("unreachable")
    if op == 103:  # MEM_SIZE
        stack.append(len(mem) >> 16)
    elif op == 105:  # MEM_FILL
        n = pop()
        v = pop()
        d = pop()
        if d + n > len(mem):
            raise Trap("out of bounds memory access")
        mem[d:d + n] = bytes((v & 0xFF,)) * n
    elif op == 106:  # MEM_COPY
        n = pop()
        s = pop()
        d = pop()
        if s + n > len(mem) or d + n > len(mem):
            raise Trap("out of bounds memory access")
        mem[d:d + n] = mem[s:s + n]
    elif op == 107:  # MEM_INIT a = data index
        n = pop()
        s = pop()
        d = pop()
        data = inst.datas[a]
        if s + n > len(data) or d + n > len(mem):
            raise Trap("out of bounds memory access")
        mem[d:d + n] = data[s:s + n]
    elif op == 108:  # DATA_DROP
        inst.datas[a] = b""
    elif op == 109:  # TABLE_GET
        elems = inst.tables[a].elements
        i = stack[-1]
        if i >= len(elems):
            raise Trap("out of bounds table access")
        stack[-1] = elems[i]
    elif op == 110:  # TABLE_SET
        v = pop()
        i = pop()
        elems = inst.tables[a].elements
        if i >= len(elems):
            raise Trap("out of bounds table access")
        elems[i] = v
    elif op == 111:  # TABLE_SIZE
        stack.append(len(inst.tables[a].elements))
    elif op == 112:  # TABLE_GROW
        n = pop()
        v = pop()
        stack.append(inst.tables[a].grow(n, v) & 0xFFFFFFFF)
    elif op == 113:  # TABLE_FILL
        n = pop()
        v = pop()
        i = pop()
        elems = inst.tables[a].elements
        if i + n > len(elems):
            raise Trap("out of bounds table access")
        elems[i:i + n] = [v] * n
    elif op == 114:  # TABLE_COPY a = (dst table, src table)
        n = pop()
        s = pop()
        d = pop()
        dst = inst.tables[a[0]].elements
        src = inst.tables[a[1]].elements
        if s + n > len(src) or d + n > len(dst):
            raise Trap("out of bounds table access")
        dst[d:d + n] = src[s:s + n]
    elif op == 115:  # TABLE_INIT a = (elem index, table index)
        n = pop()
        s = pop()
        d = pop()
        seg = inst.elems[a[0]]
        elems = inst.tables[a[1]].elements
        if s + n > len(seg) or d + n > len(elems):
            raise Trap("out of bounds table access")
        elems[d:d + n] = seg[s:s + n]
    elif op == 116:  # ELEM_DROP
        inst.elems[a] = []
    elif op == 117:  # REF_FUNC
        stack.append(inst.funcs[a])
    elif op == 118:  # REF_IS_NULL
        stack[-1] = 1 if stack[-1] is None else 0
    elif op == 124:  # ATOMIC a = (kind, value type, size, offset)
        atomics.run(a, stack, mem)
    else:
        raise AssertionError("unknown internal opcode %d" % op)
