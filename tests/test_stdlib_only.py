"""interp/ and checkpoint/ run inside selfhost.wasm: they may import only the standard library
(less what py2wasm's CPython lacks) and each other. A static import of anything else would
also make py2wasm compile it into selfhost.wasm (host/ pulls in the whole wasmtime package)."""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"interp", "checkpoint", "selfhost"}
MISSING_IN_WASM = {"zlib", "gzip", "zipfile", "lzma", "bz2", "ctypes", "threading",
                   "subprocess", "multiprocessing", "socket", "ssl", "sqlite3", "tkinter"}
FILES = sorted(p for pkg in OURS for p in (ROOT / pkg).rglob("*.py"))


def top_level_imports(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_are_stdlib_or_ours(path):
    bad = [(line, name) for line, name in top_level_imports(path)
           if name not in OURS and (name not in sys.stdlib_module_names
                                    or name in MISSING_IN_WASM)]
    assert not bad, "%s imports %s" % (path.relative_to(ROOT), bad)
