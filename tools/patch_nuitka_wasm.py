"""Fix function-pointer signatures in py2wasm's copy of Nuitka's C runtime, for Wasm.

Nuitka declares many getters, setters and METH_NOARGS methods with fewer parameters than the
CPython slot they are stored in (e.g. ``Nuitka_Function_get_doc(struct Nuitka_FunctionObject *)``
stored as a ``getter``, which CPython calls with two arguments). Native C tolerates that; Wasm's
call_indirect checks the exact signature and traps ("indirect call type mismatch"). In
selfhost.wasm that trap hit any ``@property`` (property() reads ``fget.__doc__``).

Type slots too: ``Nuitka_Frame_tp_clear`` returns void but is stored as an ``inquiry`` (int):
the cyclic GC traps when it clears a compiled frame caught in a reference cycle (an exception
kept in a local of the frame its traceback holds), at whatever allocation starts a collection.

This script adds, for every such table entry or slot cast, a small wrapper with the exact
signature that calls the original, and points the table (or the cast) at the wrapper. It edits
``nuitka/build/static_src/*.c`` of the installed py2wasm in place; it is idempotent (files that
already hold wrappers are left alone) and prints what it changed.

    python tools/patch_nuitka_wasm.py [--check]

--check: change nothing; exit 1 if some file still needs the fix.
"""
import argparse
import os
import re
import sys

MARK = "__selfhost_wasmsig"

TABLE_RE = re.compile(r"^[ \t]*static\s+(?:struct\s+)?(PyGetSetDef|PyMethodDef)\s+\w+\s*\[\s*\]\s*=\s*\{",
                      re.M)
GETTER_RE = re.compile(r"\(getter\)\s*(\w+)")
SETTER_RE = re.compile(r"\(setter\)\s*(\w+)")
METHOD_RE = re.compile(r"\(PyCFunction\)\s*(\w+)\s*,\s*([A-Z_| ]+)")

# Exact C signatures CPython uses when it calls these pointers.
GETTER = ("PyObject *", ["PyObject *self", "void *closure"])
SETTER = ("int", ["PyObject *self", "PyObject *value", "void *closure"])
METH_2 = ("PyObject *", ["PyObject *self", "PyObject *arg"])
METH_3 = ("PyObject *", ["PyObject *self", "PyObject *args", "PyObject *kwargs"])
# Type slots (a cast to the slot's typedef, e.g. ``(inquiry)Nuitka_Frame_tp_clear``).
_OBJ1, _OBJ2 = ["PyObject *self"], ["PyObject *self", "PyObject *other"]
_OBJ3 = ["PyObject *self", "PyObject *a", "PyObject *b"]
SLOTS = {
    "inquiry": ("int", _OBJ1), "destructor": ("void", _OBJ1), "freefunc": ("void", ["void *self"]),
    "traverseproc": ("int", ["PyObject *self", "visitproc visit", "void *arg"]),
    "reprfunc": ("PyObject *", _OBJ1), "unaryfunc": ("PyObject *", _OBJ1),
    "getiterfunc": ("PyObject *", _OBJ1), "iternextfunc": ("PyObject *", _OBJ1),
    "hashfunc": ("Py_hash_t", _OBJ1), "lenfunc": ("Py_ssize_t", _OBJ1),
    "binaryfunc": ("PyObject *", _OBJ2), "getattrofunc": ("PyObject *", _OBJ2),
    "objobjproc": ("int", _OBJ2), "setattrofunc": ("int", _OBJ3), "initproc": ("int", _OBJ3),
    "objobjargproc": ("int", _OBJ3), "descrsetfunc": ("int", _OBJ3),
    "descrgetfunc": ("PyObject *", _OBJ3), "ternaryfunc": ("PyObject *", _OBJ3),
    "richcmpfunc": ("PyObject *", ["PyObject *self", "PyObject *other", "int op"]),
}
SLOT_RE = re.compile(r"\((%s)\)\s*(\w+)\b" % "|".join(SLOTS))


def method_signature(flags):
    flags = {f.strip() for f in flags.split("|")}
    if "METH_FASTCALL" in flags:
        return None               # (self, args, nargs[, kwnames]): not used with short defs
    if "METH_KEYWORDS" in flags:
        return METH_3
    return METH_2                 # METH_NOARGS, METH_O, METH_VARARGS


def definition(text, name):
    """(number of parameters, returns void?) of the C definition of ``name`` in text, or
    None if not found."""
    m = re.search(r"^([^\n;()]*)\b%s\s*\(([^)]*)\)\s*\{" % re.escape(name), text, re.M)
    if m is None:
        return None
    returns_void = re.sub(r"\b(static|inline|NUITKA_MAY_BE_UNUSED)\b", "", m.group(1)).strip() == "void"
    params = m.group(2).strip()
    if params in ("", "void"):
        return 0, returns_void
    return params.count(",") + 1, returns_void


def definition_arity(text, name):
    """Number of parameters of the C definition of ``name`` in text, or None if not found."""
    found = definition(text, name)
    return None if found is None else found[0]


def mismatched(text, name, sig):
    """(arity, returns void?) of ``name`` when its definition does not have ``sig``'s Wasm
    signature and a wrapper can give it that (fewer parameters, or a void/int return), else
    None. Pointers and ints are all i32 in wasm32: only the count and a missing result matter."""
    found = definition(text, name)
    if found is None:
        return None
    arity, returns_void = found
    slot_void = sig[0] == "void"
    if arity > len(sig[1]) or (returns_void and not slot_void and sig[0] != "int"):
        return None
    if arity == len(sig[1]) and returns_void == slot_void:
        return None
    return arity, returns_void


def table_end(text, start):
    """Index just after the '};' closing the table that starts at ``start``."""
    depth = 0
    i = text.index("{", start)
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unterminated table")


def wrapper(name, signature, arity, returns_void=False):
    ret, params = signature
    names = [p.split()[-1].lstrip("*") for p in params]
    args = (["(void *)%s" % names[0]] + names[1:arity])[:arity]
    unused = "".join(" (void)%s;" % n for n in names[arity:])
    call = "%s(%s)" % (name, ", ".join(args))
    if ret == "void":
        body = " (void)%s;" % call
    elif returns_void:
        body = " %s; return 0;" % call        # (an inquiry's result: tp_clear's is ignored)
    else:
        body = " return %s;" % call
    return "static %s%s%s(%s) {%s%s }\n" % (
        ret, "" if ret.endswith("*") else " ", name + MARK, ", ".join(params), unused, body)


COMMENT = "/* selfhost wasmsig v3: exact-signature wrapper for Wasm call_indirect */\n"


def revert_text(text):
    """Remove wrappers written by any version of this script."""
    lines = [line for line in text.splitlines(keepends=True)
             if not line.startswith("/* selfhost") and
             not (line.startswith("static ") and MARK + "(" in line)]
    return "".join(lines).replace(MARK, "")


def function_end(text, def_start):
    """Index just after the closing brace of the function whose definition starts at def_start."""
    return table_end(text, def_start)


def patch_text(text):
    """Return (new text, list of wrapped function names)."""
    if COMMENT in text:
        return text, []
    text = revert_text(text)
    out, pos, wrapped = [], 0, {}
    for m in TABLE_RE.finditer(text):
        start, end = m.start(), table_end(text, m.start())
        table = text[start:end]
        entries = []
        if m.group(1) == "PyGetSetDef":
            entries += [(g, GETTER, "(getter)") for g in GETTER_RE.findall(table)]
            entries += [(s, SETTER, "(setter)") for s in SETTER_RE.findall(table)]
        else:
            for name, flags in METHOD_RE.findall(table):
                sig = method_signature(flags)
                if sig is not None:
                    entries.append((name, sig, "(PyCFunction)"))
        for name, sig, cast in entries:
            if name == "NULL":
                continue
            arity = definition_arity(text, name)
            if arity is None or arity >= len(sig[1]):
                continue
            wrapped.setdefault(name, (sig, arity, False))
            table = re.sub(r"%s\s*%s\b" % (re.escape(cast), re.escape(name)),
                           "%s%s" % (cast, name + MARK), table)
        out.append(text[pos:start])
        out.append(table)
        pos = end
    out.append(text[pos:])
    text = "".join(out)
    for cast, name in set(SLOT_RE.findall(text)):
        found = mismatched(text, name, SLOTS[cast])
        if found is None:
            continue
        wrapped.setdefault(name, (SLOTS[cast], found[0], found[1]))
        text = re.sub(r"\(%s\)\s*%s\b" % (cast, re.escape(name)),
                      "(%s)%s" % (cast, name + MARK), text)
    # Each wrapper goes right after the function it wraps, so that it sits inside the same
    # preprocessor conditionals (some are only compiled for other Python versions).
    inserts = []
    for name, (sig, arity, returns_void) in wrapped.items():
        m = re.search(r"^[^\n;()]*\b%s\s*\([^)]*\)\s*\{" % re.escape(name), text, re.M)
        at = function_end(text, m.start())
        if text[at:at + 1] == "\n":
            at += 1
        inserts.append((at, COMMENT + wrapper(name, sig, arity, returns_void)))
    for at, snippet in sorted(inserts, reverse=True):
        text = text[:at] + snippet + text[at:]
    return text, list(wrapped)


def static_src_dir():
    import nuitka
    return os.path.join(os.path.dirname(nuitka.__file__), "build", "static_src")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a file still needs the fix")
    parser.add_argument("--dir", help="static_src directory (default: the installed Nuitka's)")
    args = parser.parse_args(argv)
    try:
        src_dir = args.dir or static_src_dir()
    except ImportError:
        print("patch_nuitka_wasm: error: py2wasm (nuitka) is not installed", file=sys.stderr)
        return 2
    if not os.path.isdir(src_dir):
        print("patch_nuitka_wasm: error: %s not found" % src_dir, file=sys.stderr)
        return 2
    pending = 0
    for fname in sorted(os.listdir(src_dir)):
        if not fname.endswith(".c"):
            continue
        path = os.path.join(src_dir, fname)
        with open(path) as f:
            text = f.read()
        new, wrapped = patch_text(text)
        if not wrapped:
            continue
        pending += 1
        if args.check:
            print("needs the fix: %s (%d functions)" % (fname, len(wrapped)))
            continue
        tmp = path + ".selfhost.tmp"
        with open(tmp, "w") as f:
            f.write(new)
        os.replace(tmp, path)
        print("patched %s: %s" % (fname, ", ".join(wrapped)))
    if args.check:
        return 1 if pending else 0
    if not pending:
        print("Nuitka runtime already has exact Wasm signatures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
