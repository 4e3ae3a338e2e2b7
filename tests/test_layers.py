"""The layering, read from the code's own imports (an AST walk, like test_stdlib_only.py):

* layers, lowest first: interp/ (the engine), checkpoint/ (snapshot format and mapping),
  selfhost/ (the program selfhost.wasm runs), host/ (the `selfhost` CLI, runtimes, cluster);
  a module imports only its own layer and the ones below;
* no import cycles between modules (every import counts, also those inside functions);
* no file over 900 lines;
* one owner for the exit codes and the doorbell constants: the Node launcher holds no copy.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["interp", "checkpoint", "selfhost", "host"]
MAX_LINES = 900


def module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules():
    mods = {}
    for pkg in LAYERS:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            mods[module_name(path)] = path
    return mods


MODULES = all_modules()


def _resolve(name):
    """The longest prefix of dotted ``name`` that is one of our modules, or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def imports_of(mod):
    """Our modules that ``mod`` imports (anywhere in the file), with line numbers."""
    path = MODULES[mod]
    is_pkg = path.name == "__init__.py"
    package = mod if is_pkg else mod.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [prefix + "." + a.name for a in node.names] + [prefix]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != mod:
                out.append((node.lineno, target))
                if isinstance(node, ast.ImportFrom):
                    break     # `from x import a, b`: one edge (to x.a if a module, else x)
    return out


def layer(mod):
    return LAYERS.index(mod.split(".")[0])


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_imports_point_down(mod):
    bad = [(line, target) for line, target in imports_of(mod) if layer(target) > layer(mod)]
    assert not bad, "%s imports a higher layer: %s" % (mod, bad)


def test_no_import_cycles():
    graph = {m: sorted({t for _l, t in imports_of(m)}) for m in MODULES}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):          # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))
    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: %s" % cycles


def test_walk_sees_the_imports():
    """Guard the walk itself: known edges are found, in every import form."""
    assert ("interp.wasi.paths" in {t for _l, t in imports_of("host.mounts")})
    assert ("interp.tier1" in {t for _l, t in imports_of("interp.machine")})
    assert ("selfhost.exit_codes" in {t for _l, t in imports_of("selfhost.cli")})
    assert len(MODULES) > 50


SOURCE_FILES = sorted(p for pkg in LAYERS + ["tests", "bench", "tools"]
                      for p in (ROOT / pkg).rglob("*") if p.suffix in (".py", ".mjs", ".sh")
                      and not {".cache", "__pycache__"} & set(p.relative_to(ROOT).parts))


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_over_900_lines(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, "%s has %d lines" % (path.relative_to(ROOT), n)


def test_node_launcher_holds_no_copy_of_shared_constants():
    """Exit codes, the doorbell protocol and WASI's errno numbers reach the JavaScript through
    its config (one owner each: selfhost/exit_codes.py, selfhost/doorbell.py,
    interp/wasi/abi.py)."""
    from selfhost import doorbell, exit_codes
    js = (ROOT / "host" / "runtimes" / "node_launcher.mjs").read_text()
    code = re.sub(r"//[^\n]*", "", js)
    for value in (exit_codes.TRAP, exit_codes.CHECKPOINTED):
        assert not re.search(r"\b%d\b" % value, code), value
    for value in (doorbell.MAGIC_FD, doorbell.MAILBOX_MAGIC, doorbell.ST_HELLO):
        assert not re.search(r"0x%x\b" % value, code, re.I), hex(value)
        assert not re.search(r"\b%d\b" % value, code), value
    assert doorbell.EXPORT_PREFIX not in code
    assert not re.search(r"\bE[A-Z0-9]+\s*:\s*\d", code), "a copy of WASI's errno table"
    for key in ("magic_fd", "mailbox_magic", "ops", "status", "bytearray_layout"):
        assert key in doorbell.PROTOCOL and key in code


def test_exit_codes_have_one_owner():
    """No module but selfhost/exit_codes.py spells the special exit codes as literals."""
    owners = {ROOT / "selfhost" / "exit_codes.py"}
    for path in sorted(p for pkg in LAYERS for p in (ROOT / pkg).rglob("*.py")):
        if path in owners:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and node.value.value in (75, 134):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                assert not any("EXIT" in n or "TRAP" in n or "CHECKPOINT" in n for n in names), \
                    "%s:%d defines an exit code" % (path.relative_to(ROOT), node.lineno)
