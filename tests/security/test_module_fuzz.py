"""Valid modules of every shape through the selfhost program: never an "internal error".

Modules from the spec suite's scripts (imports, linking, data, elem, global, memory, table...),
mutated byte by byte and kept when they still decode and validate: a module that imports a
global, a table or a memory is valid, offload just does not apply to it (it once died with
"internal error: ValueError: cannot offload a module that imports a global"), and an import
nobody provides is a one-line link error. In process: offload's decision (interp.offload.
applies, the native side's make_offloader) and instantiation with the WASI imports; through
the command line, `python -m selfhost MOD.wasm` and `python -m host.runtimes.native_main
MOD.wasm` (with its native side). Needs ../shared/wasm-testsuite (skips without it).
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import interp
from interp import errors
from interp.offload import applies
from tests import spec
from tests.security import support

SCRIPTS = ["imports", "linking", "data", "elem", "global", "memory", "table", "exports",
           "start", "func_ptrs", "call_indirect", "bulk", "ref_func", "table_get", "table_set",
           "memory_grow", "table_grow", "names"]


def suite_modules():
    if not os.path.isdir(spec.DEFAULT_SUITE):
        pytest.skip("the spec suite is not at %s" % spec.DEFAULT_SUITE)
    out = []
    for name in SCRIPTS:
        wast = os.path.join(spec.DEFAULT_SUITE, name + ".wast")
        if not os.path.isfile(wast):
            continue
        json_path = spec.convert(wast)
        with open(json_path) as f:
            commands = json.load(f)["commands"]
        for c in commands:
            if c.get("type") == "module" and c.get("filename"):
                data = Path(json_path).with_name(c["filename"]).read_bytes()
                try:
                    interp.decode(data)
                except errors.WasmError:
                    continue
                out.append(data)
    return out


def mutants(modules, count, seed):
    """``count`` valid modules: a suite module with a few bytes changed (kept only when it
    still decodes and validates), sometimes the unchanged one."""
    rng = random.Random(seed)
    out = []
    tries = 0
    while len(out) < count and tries < count * 200:
        tries += 1
        data = bytearray(rng.choice(modules))
        if rng.random() > 0.1:
            for _ in range(rng.choice([1, 1, 2, 3])):
                i = rng.randrange(8, len(data)) if len(data) > 8 else 0
                data[i] = rng.randrange(256) if rng.random() < 0.5 else data[i] ^ (1 << rng.randrange(8))
        try:
            interp.decode(bytes(data))
        except (errors.WasmError, RecursionError):
            continue
        out.append(bytes(data))
    return out


def classify_in_process(data):
    """Offload's decision and instantiation with the WASI imports: only the errors a valid
    module may give (LinkError, Trap, Exit)."""
    from host.offload.native import make_offloader
    from interp.wasi import WASI
    module = interp.decode(data)
    applies(module)
    offloader = make_offloader(interp.decode(data))
    if module.imported("global") or module.imported("table") or module.imported("memory"):
        assert offloader is None
    try:
        interp.instantiate(module, WASI(["m"]).imports())
        return "instantiated"
    except errors.LinkError as e:
        assert "\n" not in str(e)
        return "link error"
    except (errors.Trap, errors.Exit):
        return "trapped"


def test_mutated_modules_in_process():
    counts = {}
    for data in mutants(suite_modules(), 2000, seed=7):
        k = classify_in_process(data)
        counts[k] = counts.get(k, 0) + 1
    print("in process:", counts)
    assert counts.get("link error", 0) > 100 and counts.get("instantiated", 0) > 100


@pytest.mark.slow
@pytest.mark.parametrize("entry", ["selfhost", "host.runtimes.native_main"])
def test_mutated_modules_through_the_command_line(entry, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(support.ROOT))
    codes = {}
    for i, data in enumerate(mutants(suite_modules(), 200, seed=11)):
        path = tmp_path / ("m%d.wasm" % i)
        path.write_bytes(data)
        try:
            r = subprocess.run([sys.executable, "-m", entry, str(path)], capture_output=True,
                               timeout=60, env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            codes["timeout"] = codes.get("timeout", 0) + 1
            continue
        text = r.stderr.decode("utf-8", "replace")
        assert "internal error" not in text and "Traceback" not in text, (i, text)
        if r.returncode == 1:
            assert text.count("\n") == 1 and text.startswith("selfhost: error:"), (i, text)
        codes[r.returncode] = codes.get(r.returncode, 0) + 1
    print(entry, codes)
