"""The streaming body check (interp/validate_stream.py) against the reference decode +
validation: it may only ever say "valid" where the reference does, it must say so for every
valid module of the spec suite (else big modules lose its speed), and interp.decode must
report the reference's error for every module it refuses."""
import json
import os
import random

import pytest

import interp
from interp.decode import _u32, decode_module
from interp.validate import _Context, validate_module
from interp.validate_stream import NOT_VALID, _check_code, validate_streaming
from tests import spec
from tests.apps.build import app_names, build_app

SUITE_PRESENT = os.path.isdir(spec.DEFAULT_SUITE)
needs_suite = pytest.mark.skipif(
    not SUITE_PRESENT or not spec.shutil.which("wast2json"),
    reason="needs the spec suite at %s (../shared) and wast2json" % spec.DEFAULT_SUITE)


def reference(data):
    """None for a valid module, else (error class, message) from the reference path."""
    try:
        validate_module(decode_module(data), keep=False)
    except (interp.MalformedError, interp.InvalidError) as e:
        return type(e).__name__, str(e)
    return None


def streaming_says_valid(data):
    try:
        validate_streaming(decode_module(data, check_bodies=False))
    except NOT_VALID:
        return False
    return True


def spec_modules():
    """Every binary module file of the non-SIMD spec scripts (valid, invalid, malformed)."""
    out = []
    for path in spec.collect([spec.DEFAULT_SUITE], ["simd_*"]):
        json_path = spec.convert(path)
        with open(json_path) as f:
            commands = json.load(f)["commands"]
        for c in commands:
            name = c.get("filename")
            if name and name.endswith(".wasm"):
                out.append(os.path.join(os.path.dirname(json_path), name))
    return out


@needs_suite
def test_spec_suite_modules_get_the_reference_verdict():
    counts = {"valid": 0, "refused": 0}
    wrong = []
    for path in spec_modules():
        with open(path, "rb") as f:
            data = f.read()
        ref = reference(data)
        fast = streaming_says_valid(data)
        if fast != (ref is None):
            wrong.append("%s: reference %s, streaming %s" % (path, ref or "valid", fast))
        counts["valid" if ref is None else "refused"] += 1
        if ref is not None:   # interp.decode names the reference's error
            with pytest.raises((interp.MalformedError, interp.InvalidError)) as got:
                interp.decode(data)
            assert (type(got.value).__name__, str(got.value)) == ref, path
    assert not wrong, "\n".join(wrong[:20])
    assert counts["valid"] > 1000 and counts["refused"] > 1000, counts


def _bodies(data):
    m = decode_module(data, check_bodies=False)
    ctx = _Context(m)
    first = len(ctx.funcs) - len(m.funcs)
    for k, f in enumerate(m.funcs):
        params, results = ctx.funcs[first + k]
        yield ctx, params, results, f


def test_c_programs_are_checked_inline():
    """The bodies zig's C makes (libc included) go through the streaming loop itself, not
    through the reference the loop leaves rare instructions to."""
    inline = total = 0
    for name in app_names():
        data = build_app(name).read_bytes()
        for ctx, params, results, f in _bodies(data):
            total += 1
            facts = _check_code(ctx, params, results, f.locals, data, f.code_at, f.code_end)
            inline += facts is not None
    assert total > 100 and inline >= 0.97 * total, (inline, total)


def _code_section(data):
    """(start, end) of the code section's contents."""
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = _u32(data, pos + 1)
        if sid == 10:
            return pos, pos + size
        pos += size
    raise AssertionError("no code section")


@pytest.mark.parametrize("name", ["hello", "files"])
def test_mutated_bodies_never_pass_where_the_reference_refuses(name):
    data = build_app(name).read_bytes()
    start, end = _code_section(data)
    rng = random.Random(name)
    refused = 0
    for _ in range(400):
        mutant = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(start, end)
            mutant[at] = rng.choice([rng.randrange(256), mutant[at] ^ (1 << rng.randrange(8))])
        mutant = bytes(mutant)
        ref = reference(mutant)
        if ref is not None:
            refused += 1
            assert not streaming_says_valid(mutant), (name, ref)
        got = None
        try:
            interp.decode(mutant)
        except (interp.MalformedError, interp.InvalidError) as e:
            got = type(e).__name__, str(e)
        assert got == ref
    assert refused > 100


def _analysis_both_ways(data, imports):
    from interp.offload import analyze
    m = interp.decode(data)
    assert m.codemap.facts is not None
    with_facts = vars(analyze(m, imports=imports))
    m.codemap.facts = None                   # the analysis scans every body itself
    return with_facts, vars(analyze(m, imports=imports))


@pytest.mark.parametrize("imports", [False, True])
def test_offload_analysis_is_the_same_from_the_facts(imports):
    from tests.bigmodule.gen import build_big
    paths = [build_app(name) for name in app_names()] + [build_big(200)]
    offloading = 0
    for path in paths:
        got, want = _analysis_both_ways(path.read_bytes(), imports)
        assert got == want, path
        offloading += bool(want["offloadable"])
    assert offloading >= 3


def _one_function(params, results, body, local_i64=0, memory=False):
    """A module of one function (params, results: value type bytes) with ``body`` (bytes,
    its final end included) and ``local_i64`` i64 locals after the params; ``memory``: and
    a memory of one page."""
    def vec(items):
        return bytes([len(items)]) + b"".join(items)

    def section(sid, payload):
        return bytes([sid, len(payload)]) + payload

    functype = b"\x60" + vec([bytes([t]) for t in params]) + vec([bytes([t]) for t in results])
    locals_ = vec([bytes([local_i64, 0x7E])]) if local_i64 else b"\x00"
    code = locals_ + body
    return (b"\0asm\1\0\0\0" + section(1, vec([functype])) + section(3, vec([b"\x00"]))
            + (section(5, vec([b"\x00\x01"])) if memory else b"")
            + section(10, vec([bytes([len(code)]) + code])))


I32, I64 = 0x7F, 0x7E
ADD32, ADD64, LT32 = b"\x6a", b"\x7c", b"\x48"
GET0, GET1, C1, C1_64 = b"\x20\x00", b"\x20\x01", b"\x41\x01", b"\x42\x01"
END = b"\x0b"


@pytest.mark.parametrize("params, results, body, valid", [
    ([I32], [I32], GET0 + ADD32 + END, False),                 # local.get + binop, one operand
    ([I32], [I32], GET0 + GET0 + ADD32 + END, True),
    ([I32], [I32], C1 + ADD32 + END, False),                   # i32.const + binop, one operand
    ([I32], [I32], GET0 + C1 + ADD32 + END, True),
    ([I32], [I32], GET0 + C1 + LT32 + END, True),
    ([I32], [I32], GET0 + b"\x02\x7f" + C1 + ADD32 + END + END, False),  # operand outside
    ([I32], [I32], GET0 + b"\x02\x7f" + GET0 + C1 + ADD32 + END + ADD32 + END, True),
    ([I64], [I32], GET0 + C1 + ADD32 + END, False),            # i64 + i32
    ([I32, I64], [I64], GET0 + GET1 + ADD64 + END, False),     # i32 + i64
    ([I64, I64], [I64], GET0 + GET1 + ADD64 + END, True),
    ([I64], [I64], C1_64 + GET0 + ADD64 + END, True),
    ([I32], [I32], b"\x00" + GET0 + ADD32 + END, True),        # unreachable: polymorphic
    ([I32], [I32], b"\x00" + C1 + ADD32 + END, True),
    ([I32], [I32], GET0 + GET0 + ADD32 + ADD32 + END, False),
    ([I32], [], GET0 + GET0 + ADD32 + END, False),             # a value left over
    ([I64, I32], [I64], GET0 + GET1 + ADD32 + END, False),     # i64 under the binop's i32
    ([I64], [I64], GET0 + C1 + ADD32 + END, False),
])
def test_small_bodies(params, results, body, valid):
    data = _one_function(params, results, body)
    assert (reference(data) is None) == valid
    assert streaming_says_valid(data) == valid


_ALPHABET = [GET0, GET1, C1, C1_64, ADD32, ADD64, LT32, b"\x1a", b"\x1b", b"\x00", b"\x01",
             b"\x02\x40", b"\x02\x7f", b"\x03\x40", b"\x04\x40", b"\x05", END, b"\x0d\x00",
             b"\x0c\x00", b"\x0f", b"\x21\x00", b"\x22\x01", b"\x45", b"\xa7", b"\xad",
             b"\x28\x02\x00", b"\x36\x02\x00", b"\x3f\x00"]


def test_random_bodies_get_the_reference_verdict():
    """Random short bodies over the inline instructions (in modules with and without a
    memory): valid where the reference says so, and only there."""
    rng = random.Random(12)
    seen = {True: 0, False: 0}
    for _ in range(4000):
        params = [rng.choice([I32, I64]) for _ in range(2)]
        results = [rng.choice([I32, I64])] if rng.random() < 0.7 else []
        body = b"".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 8))) + END
        data = _one_function(params, results, body, memory=rng.random() < 0.5)
        ref = reference(data) is None
        assert streaming_says_valid(data) == ref, (params, results, body.hex())
        seen[ref] += 1
    assert seen[True] > 50 and seen[False] > 1000, seen
