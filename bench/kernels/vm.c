/* A small bytecode interpreter: a switch-dispatched loop over a stack machine program,
   the shape of code that compiles to br_table. The program runs n times; each run
   computes a small checksum from its iteration number. */
#include "common.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, SHR, DUP, JNZ, HALT };

/* r0 = seed; r1 = 0; for (r2 = 16; r2; r2--) { r1 = (r1 * 31 + r0) ^ (r1 >> 3); r0 += r2; } */
static const int program[] = {
    PUSH, 16, STORE, 2,                       /* 0: r2 = 16 */
    PUSH, 0, STORE, 1,                        /* 4: r1 = 0 */
    LOAD, 1, PUSH, 31, MUL, LOAD, 0, ADD,     /* 8: loop: (r1*31 + r0) */
    LOAD, 1, PUSH, 3, SHR, XOR, STORE, 1,     /* 16: ^ (r1 >> 3) -> r1 */
    LOAD, 0, LOAD, 2, ADD, STORE, 0,          /* 24: r0 += r2 */
    LOAD, 2, PUSH, 1, SUB, DUP, STORE, 2,     /* 31: r2 -= 1 */
    JNZ, 8,                                   /* 39: loop while r2 != 0 */
    HALT,
};

static unsigned run(unsigned seed) {
    unsigned stack[16];
    unsigned regs[4] = {seed, 0, 0, 0};
    int sp = 0, pc = 0;
    for (;;) {
        int op = program[pc++];
        switch (op) {
        case PUSH: stack[sp++] = (unsigned)program[pc++]; break;
        case LOAD: stack[sp++] = regs[program[pc++]]; break;
        case STORE: regs[program[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] >>= stack[sp]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case JNZ: {
            int target = program[pc++];
            if (stack[--sp]) pc = target;
            break;
        }
        case HALT: return regs[1];
        default: return 0xFFFFFFFFu;
        }
    }
}

KERNEL(vm) {
    unsigned sum = 0;
    for (int i = 0; i < n; i++) sum = sum * 33u + run((unsigned)i);
    return sum;
}

BENCH_MAIN(vm)
