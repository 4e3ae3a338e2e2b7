"""build.sh and the module it builds: build/selfhost.wasm must start and work under every host.

Without build/selfhost.wasm these tests are skipped, unless SELFHOST_REQUIRE_BUILD is set (CI
sets it after running build.sh): then a missing build is a failure.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from host import launch
from host.runtimes.wasmtime_py_child import cached_module_path

from tests.test_host_cli import FILES_WAT, wat2wasm

ROOT = Path(__file__).resolve().parent.parent
BUILD_SH = ROOT / "build.sh"
WASM_RUNTIMES = ("wasmtime", "wasmer", "node", "wasmtime-cli")
TIMEOUT = 300


@pytest.fixture(scope="module")
def selfhost_wasm():
    path = launch.selfhost_wasm()
    if not path.is_file():
        if os.environ.get("SELFHOST_REQUIRE_BUILD"):
            pytest.fail("%s is missing but SELFHOST_REQUIRE_BUILD is set: build.sh did not "
                        "produce it" % path)
        pytest.skip("%s not built (run ./build.sh; set SELFHOST_REQUIRE_BUILD=1 to make this "
                    "a failure)" % path)
    return path


def native_version():
    result = launch.run("native", ["--version"])
    assert result.returncode == 0, result.stderr
    return result.stdout


# --- build.sh itself -------------------------------------------------------------------

def test_build_sh_help_and_bad_arguments():
    proc = subprocess.run(["bash", str(BUILD_SH), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "--force" in proc.stdout
    proc = subprocess.run(["bash", str(BUILD_SH), "--bogus"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown argument: --bogus" in proc.stderr
    proc = subprocess.run(["bash", str(BUILD_SH), "--entry", "/no/such/entry.py"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "entry script not found" in proc.stderr


def test_build_sh_rejects_a_python_that_is_not_3_11(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\necho 3.12\n")
    fake.chmod(0o755)
    proc = subprocess.run(["bash", str(BUILD_SH), "--check"], capture_output=True, text=True,
                          env=dict(os.environ, PYTHON=str(fake)))
    assert proc.returncode == 1
    assert "needs CPython 3.11" in proc.stderr


def test_second_build_reuses_the_module(selfhost_wasm):
    check = subprocess.run(["bash", str(BUILD_SH), "--check"], capture_output=True, text=True)
    if check.returncode == 3:
        pytest.skip("build/selfhost.wasm is older than its sources: run ./build.sh")
    assert check.returncode == 0, check.stderr
    before = selfhost_wasm.stat().st_mtime_ns
    proc = subprocess.run(["bash", str(BUILD_SH)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stdout
    assert selfhost_wasm.stat().st_mtime_ns == before


def test_module_is_wasm_and_stripped(selfhost_wasm):
    data = selfhost_wasm.read_bytes()
    assert data[:8] == b"\0asm\x01\0\0\0"
    assert b".debug_info" not in data          # -Wl,--strip-debug took effect
    assert len(data) < 40 * 1024 * 1024


# --- startup under each host -------------------------------------------------------------

@pytest.mark.parametrize("runtime", WASM_RUNTIMES)
def test_version_under_host(selfhost_wasm, runtime):
    result = launch.run(runtime, ["--version"], timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == native_version()


def test_wasmtime_compiles_once_then_uses_the_cache(selfhost_wasm, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFHOST_CACHE", str(tmp_path / "cache"))
    cached = cached_module_path(tmp_path / "cache", selfhost_wasm)
    assert not cached.exists()
    assert launch.run("wasmtime", ["--version"], timeout=TIMEOUT).returncode == 0
    assert cached.is_file()
    mtime = cached.stat().st_mtime_ns
    assert launch.run("wasmtime", ["--version"], timeout=TIMEOUT).returncode == 0
    assert cached.stat().st_mtime_ns == mtime    # read, not written again


@pytest.mark.parametrize("runtime", WASM_RUNTIMES)
def test_app_files_exit_code_and_stdout_under_host(selfhost_wasm, runtime, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    wat2wasm(FILES_WAT, work / "app.wasm")
    (work / "keep.txt").write_text("untouched\n")
    result = launch.run(runtime, ["/data/app.wasm"], dirs=[(str(work), "/data")],
                        timeout=TIMEOUT)
    assert result.returncode == 3, result.stderr
    assert result.stdout == b"hi from wat\n"
    assert (work / "out.txt").read_text() == "guest wrote this\n"
    assert (work / "keep.txt").read_text() == "untouched\n"


@pytest.mark.parametrize("runtime", WASM_RUNTIMES)
def test_cli_invoke_under_host(selfhost_wasm, runtime, tmp_path):
    app = wat2wasm(FILES_WAT, tmp_path / "k.wasm")
    proc = subprocess.run(
        [sys.executable, "-m", "host.cli", "run", "--runtime", runtime, "--invoke", "add",
         str(app), "--", "20", "22"],
        capture_output=True, text=True, timeout=TIMEOUT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "42\n"


def test_node_is_available():
    # CI machines have Node 20; the node runtime depends on it.
    assert shutil.which("node"), "node not found on PATH"


# --- tools/patch_nuitka_wasm.py: exact C signatures for Wasm call_indirect ---------------------

def _load_patcher():
    import importlib.util
    spec = importlib.util.spec_from_file_location("patch_nuitka_wasm",
                                                  ROOT / "tools" / "patch_nuitka_wasm.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


C_SAMPLE = """
static PyObject *Obj_get_name(struct Obj *o) { return o->name; }
static PyObject *Obj_get_ok(struct Obj *o, void *closure) { return o->name; }
static int Obj_set_name(struct Obj *o, PyObject *value) { return 0; }
static PyObject *Obj_reduce(struct Obj *o) { return NULL; }
static PyObject *Obj_send(struct Obj *o, PyObject *arg) { return NULL; }
static void Obj_tp_clear(struct Obj *o) { o->name = NULL; }
static int Obj_tp_traverse(struct Obj *o, visitproc visit, void *arg) { return 0; }

static PyGetSetDef Obj_getset[] = {
    {(char *)"__name__", (getter)Obj_get_name, (setter)Obj_set_name, NULL},
    {(char *)"ok", (getter)Obj_get_ok, NULL, NULL},
    {NULL}};

static PyMethodDef Obj_methods[] = {{"__reduce__", (PyCFunction)Obj_reduce, METH_NOARGS, NULL},
                                    {"send", (PyCFunction)Obj_send, METH_O, NULL},
                                    {NULL, NULL}};

PyTypeObject Obj_Type = {
    (inquiry)Obj_tp_clear,                // tp_clear: returns void, the slot an int
    (traverseproc)Obj_tp_traverse,        // exact already
};
"""


def test_patcher_wraps_short_signatures_only():
    patcher = _load_patcher()
    new, wrapped = patcher.patch_text(C_SAMPLE)
    assert sorted(wrapped) == ["Obj_get_name", "Obj_reduce", "Obj_set_name", "Obj_tp_clear"]
    m = patcher.MARK
    assert "static PyObject *Obj_get_name%s(PyObject *self, void *closure)" % m in new
    assert "return Obj_get_name((void *)self);" in new
    assert "static int Obj_set_name%s(PyObject *self, PyObject *value, void *closure)" % m in new
    assert "(getter)Obj_get_name%s, (setter)Obj_set_name%s" % (m, m) in new
    assert "(getter)Obj_get_ok," in new                    # already exact: untouched
    assert "(PyCFunction)Obj_reduce%s, METH_NOARGS" % m in new
    assert "(PyCFunction)Obj_send, METH_O" in new
    # a void tp_clear in an int slot: CPython's cyclic GC trapped on it (compiled frames)
    assert ("static int Obj_tp_clear%s(PyObject *self) { Obj_tp_clear((void *)self); "
            "return 0; }" % m) in new
    assert "(inquiry)Obj_tp_clear%s," % m in new
    assert "(traverseproc)Obj_tp_traverse," in new
    assert patcher.patch_text(new) == (new, [])            # idempotent


def test_installed_nuitka_runtime_is_patched_after_a_build(selfhost_wasm):
    patcher = _load_patcher()
    assert patcher.main(["--check"]) == 0, "run build.sh: Nuitka's runtime lacks the Wasm fix"


def test_property_works_inside_selfhost_wasm(selfhost_wasm):
    # Regression: @property trapped with "indirect call type mismatch" before the patch above
    # (interp.runtime uses properties, so every start failed).
    result = launch.run("node", ["--version"], timeout=TIMEOUT)
    assert b"signature mismatch" not in result.stderr
    assert result.returncode == 0, result.stderr
