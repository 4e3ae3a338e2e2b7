"""Tests for the snapshot format (checkpoint/): round trips, corruption, versions, atomic files,
the memory codec and the inspect view.

Floats are compared by their bits, so NaN payloads must survive exactly.
"""
import hashlib
import json
import os
import random
import struct
import time

import pytest
from hypothesis import given, settings, HealthCheck, strategies as st

from checkpoint import (Snapshot, Frame, Label, MemoryState, TableState, SnapshotError,
                        CorruptSnapshot, VersionMismatch, ModuleMismatch, InvalidState,
                        SnapshotIOError, encode, decode, write_snapshot, read_snapshot)
from checkpoint import codec, format as fmt, store
from checkpoint.inspect import inspect, render_text
from interp.opcodes import I32, I64, F32, F64, V128, FUNCREF, EXTERNREF
from interp.values import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits

PAGE = 65536
SHA = hashlib.sha256(b"app.wasm").digest()
OTHER_SHA = hashlib.sha256(b"other.wasm").digest()


def canon_value(v):
    t, x = v
    if t == F32:
        return (t, f32_to_bits(x))
    if t == F64:
        return (t, f64_to_bits(x))
    return (t, x)


def canon(s):
    """A Snapshot as comparable plain data (floats as bits, memories as bytes)."""
    return (bytes(s.module_sha256),
            [(f.func, f.pc, [canon_value(v) for v in f.locals], [canon_value(v) for v in f.stack],
              [(l.opcode, l.start_offset, l.height, l.arity) for l in f.labels], f.tier)
             for f in s.frames],
            [canon_value(v) for v in s.globals],
            [(m.pages, m.max_pages, bytes(m.data)) for m in s.memories],
            [(t.reftype, t.max, list(t.elements)) for t in s.tables],
            list(s.dropped_elems), list(s.dropped_datas), s.wasi, s.stats, s.created_by)


# ---------------------------------------------------------------- strategies

u32 = st.integers(0, 2**32 - 1)
f32_bits = st.one_of(u32, st.sampled_from([0x7FC00000, 0x7F800001, 0xFFBFFFFF, 0x7FA00005,
                                           0x80000000, 0x7F800000, 0x00000001]))
f64_bits = st.one_of(st.integers(0, 2**64 - 1),
                     st.sampled_from([0x7FF8000000000000, 0x7FF0000000000001,
                                      0xFFF4000000000abc, 0x8000000000000000]))
values = st.one_of(
    st.tuples(st.just(I32), u32),
    st.tuples(st.just(I64), st.integers(0, 2**64 - 1)),
    st.tuples(st.just(F32), f32_bits.map(f32_from_bits)),
    st.tuples(st.just(F64), f64_bits.map(f64_from_bits)),
    st.tuples(st.just(FUNCREF), st.one_of(st.none(), st.integers(0, 2**32 - 2))),
    st.tuples(st.just(EXTERNREF), st.none()),
)
labels = st.builds(Label, st.sampled_from([0, 2, 3, 4]), u32, st.integers(0, 1000),
                   st.integers(0, 5))
frames = st.builds(Frame, u32, u32, st.lists(values, max_size=8), st.lists(values, max_size=8),
                   st.lists(labels, max_size=3), st.sampled_from(["", "0", "tier1", "é"]))


@st.composite
def memories(draw):
    pages = draw(st.integers(0, 3))
    data = bytearray(pages * PAGE)
    for _ in range(draw(st.integers(0, 6))):
        if not pages:
            break
        off = draw(st.integers(0, len(data) - 1))
        blob = draw(st.binary(min_size=1, max_size=200))
        data[off:off + len(blob)] = blob[:len(data) - off]
    if pages and draw(st.booleans()):
        data[-1] = 0xFF
    mx = draw(st.one_of(st.none(), st.integers(pages, 65536)))
    return MemoryState(pages, mx, data)


tables = st.one_of(
    st.builds(TableState, st.just(FUNCREF), st.one_of(st.none(), u32),
              st.lists(st.one_of(st.none(), st.integers(0, 2**32 - 2)), max_size=20)),
    st.builds(TableState, st.just(EXTERNREF), st.one_of(st.none(), u32),
              st.lists(st.none(), max_size=5)),
)
json_data = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.text(max_size=10)),
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.text(max_size=6), kids, max_size=4)),
    max_leaves=10)
snapshots = st.builds(
    Snapshot, st.binary(min_size=32, max_size=32), st.lists(frames, max_size=4),
    st.lists(values, max_size=6), st.lists(memories(), max_size=2), st.lists(tables, max_size=2),
    st.lists(u32, max_size=3), st.lists(u32, max_size=3),
    st.dictionaries(st.text(max_size=8), json_data, max_size=4),
    st.dictionaries(st.text(max_size=8), json_data, max_size=3), st.text(max_size=30))


def small_snapshot():
    return Snapshot(
        module_sha256=SHA,
        frames=[Frame(0, 0x20, [(I32, 7)], [], [], "0"),
                Frame(5, 0x1A3, [(I64, 2**63), (F32, f32_from_bits(0x7FA00001)),
                                 (F64, f64_from_bits(0xFFF0000000000123))],
                      [(FUNCREF, 4), (FUNCREF, None), (EXTERNREF, None)],
                      [Label(3, 0x190, 1, 0)], "0")],
        globals=[(I32, 0xFFFFFFFF), (F64, -0.0)],
        memories=[MemoryState(1, 2, bytearray(b"hello" + bytes(PAGE - 10) + b"world"))],
        tables=[TableState(FUNCREF, None, [None, 3, 0])],
        dropped_elems=[0], dropped_datas=[1, 2],
        wasi={"args": ["app", "x"], "env": ["A=1"], "preopens": [["/tmp", "/"]],
              "fds": {"3": {"kind": "file", "guest_path": "out.txt", "preopen": False,
                            "fdflags": 1, "rights_base": 0, "rights_inheriting": 0,
                            "offset": 12, "dir_fd": 3, "stdio": None, "root": "/",
                            "rel": "out.txt"}},
              "written": {"1": 10, "2": 0}, "stdin_read": 0},
        stats={"instructions": 12345}, created_by="selfhost 0.1 on test")


# ---------------------------------------------------------------- round trips

@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots)
def test_round_trip(snap):
    data = encode(snap)
    back = decode(data, expected_module_sha256=snap.module_sha256)
    assert canon(back) == canon(snap)
    assert encode(back) == data   # deterministic


def test_round_trip_small_and_nan_payloads():
    snap = small_snapshot()
    back = decode(encode(snap))
    assert canon(back) == canon(snap)
    assert f32_to_bits(back.frames[1].locals[1][1]) == 0x7FA00001   # signalling NaN kept
    assert f64_to_bits(back.frames[1].locals[2][1]) == 0xFFF0000000000123
    assert isinstance(back.memories[0].data, bytearray)


def test_empty_snapshot():
    snap = Snapshot(module_sha256=SHA)
    assert canon(decode(encode(snap))) == canon(snap)


def test_big_memory_round_trip():
    data = bytearray(os.urandom(4 * PAGE)) + bytearray(60 * PAGE)
    snap = Snapshot(SHA, memories=[MemoryState(64, None, data), MemoryState(0, 0, b"")])
    back = decode(encode(snap))
    assert back.memories[0].data == data and back.memories[1].data == b""


# ---------------------------------------------------------------- corruption

def test_every_single_byte_flip_is_detected():
    data = encode(small_snapshot())
    assert len(data) < 2000
    for i in range(len(data)):
        for mask in (0x01, 0x80):
            bad = bytearray(data)
            bad[i] ^= mask
            with pytest.raises(CorruptSnapshot):
                decode(bytes(bad))


def test_every_truncation_is_detected():
    data = encode(small_snapshot())
    for n in range(len(data)):
        with pytest.raises(CorruptSnapshot):
            decode(data[:n])
    with pytest.raises(CorruptSnapshot):
        decode(data + b"\0")


def test_not_a_snapshot():
    with pytest.raises(CorruptSnapshot, match="not a selfhost snapshot"):
        decode(b"\0asm\1\0\0\0" + bytes(100))
    with pytest.raises(CorruptSnapshot):
        decode("a string")


def _reseal(data):
    """Recompute the checksum of edited bytes, as a writer of another version would have."""
    body = bytes(data[:-32])
    return body + hashlib.sha256(body).digest()


def test_version_mismatch_names_both_versions():
    data = bytearray(encode(small_snapshot()))
    struct.pack_into("<H", data, 8, 7)
    with pytest.raises(VersionMismatch) as e:
        decode(_reseal(data))
    assert "version 7" in str(e.value) and "version 1" in str(e.value)
    assert e.value.file_version == 7


def test_module_mismatch_names_both_hashes():
    data = encode(small_snapshot())
    with pytest.raises(ModuleMismatch) as e:
        decode(data, expected_module_sha256=OTHER_SHA)
    msg = str(e.value)
    assert SHA.hex()[:12] in msg and OTHER_SHA.hex()[:12] in msg
    assert decode(data, expected_module_sha256=SHA.hex()).frames   # hex is accepted too


def test_resealed_structural_damage_is_a_clear_error():
    """A file with a valid checksum but bad content (a buggy writer) still fails cleanly."""
    data = encode(small_snapshot())
    layout = fmt.read_layout(data)
    for sid, off, length in layout["sections"]:
        for pos in range(off - 9, off + length):
            for val in (0x00, 0xFF):
                bad = bytearray(data)
                if bad[pos] == val:
                    continue
                bad[pos] = val
                try:
                    decode(_reseal(bad))
                except SnapshotError:
                    pass   # any clear error is fine; a traceback of another kind is not


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
       st.integers(0, 40))
def test_resealed_random_damage_never_escapes(edits, cut):
    data = bytearray(encode(small_snapshot()))
    for pos, val in edits:
        data[8 + pos % (len(data) - 40)] = val
    body = bytes(data[:-32 - cut])
    try:
        decode(body + hashlib.sha256(body).digest())
    except SnapshotError:
        pass


def test_unknown_optional_section_is_skipped():
    data = encode(small_snapshot())
    body = data[:-32] + struct.pack("<BQ", 0x90, 3) + b"xyz"
    back = decode(body + hashlib.sha256(body).digest())
    assert canon(back) == canon(small_snapshot())


# ---------------------------------------------------------------- bad state

@pytest.mark.parametrize("snap, message", [
    (Snapshot(SHA, globals=[(EXTERNREF, object())]), "cannot checkpoint a non-null externref"),
    (Snapshot(SHA, tables=[TableState(EXTERNREF, None, [None, object()])]),
     "cannot checkpoint a non-null externref"),
    (Snapshot(SHA, frames=[Frame(1, 2, [(I32, -1)])]), "not an unsigned 32-bit"),
    (Snapshot(SHA, frames=[Frame(1, 2, [], [(I64, 2**64)])]), "not an unsigned 64-bit"),
    (Snapshot(SHA, globals=[(V128, 0)]), "type v128"),
    (Snapshot(SHA, globals=[(FUNCREF, object())]), "function index or None"),
    (Snapshot(SHA, globals=[(F32, "x")]), "not a float"),
    (Snapshot(SHA, globals=[5]), "pair"),
    (Snapshot(SHA, memories=[MemoryState(1, None, bytes(10))]), "1 pages"),
    (Snapshot(SHA, memories=[MemoryState(2, 1, bytes(2 * PAGE))]), "max_pages"),
    (Snapshot(SHA, tables=[TableState(FUNCREF, None, [2**32 - 1])]), "reserved for null"),
    (Snapshot(SHA, tables=[TableState(FUNCREF, None, [-1])]), "table 0"),
    (Snapshot(SHA, wasi={"x": object()}), "not JSON-able"),
    (Snapshot(SHA, wasi={"fds": {3: {"path": "/x"}}}), "key 3 is not a string"),
    (Snapshot(SHA, memories=[bytes(PAGE)]), "expected a MemoryState"),
    (Snapshot(SHA, tables=[[None]]), "expected a TableState"),
    (Snapshot(SHA, frames=[Frame(-1, 0)]), "frame 0: func, pc"),
    (Snapshot(SHA, frames=[Frame(0, 0, labels=[Label(2, 0, -1, 0)])]), "frame 0: func, pc"),
    (Snapshot(SHA, frames=["frame"]), "expected a Frame"),
    (Snapshot(SHA, frames=[Frame(0, 0, tier=5)]), "tier"),
    (Snapshot(SHA, dropped_datas=[-2]), "dropped_datas"),
    (Snapshot(b"short"), "32 bytes"),
])
def test_bad_state_gives_clear_error(snap, message):
    with pytest.raises(InvalidState, match=message):
        encode(snap)


def test_externref_error_says_where():
    snap = Snapshot(SHA, frames=[Frame(0, 0), Frame(9, 4, [(I32, 1), (EXTERNREF, 3)])])
    with pytest.raises(InvalidState, match=r"non-null externref \(frame 1 \(func 9\) local\[1\]"):
        encode(snap)


def test_deep_stack_round_trip_is_fast():
    """The machine allows 200k frames by default: a snapshot that deep must stay practical."""
    frames = [Frame(i % 7, 100 + i, [(I32, i), (F32, 1.5), (F64, -2.0), (I64, 5)],
                    [(I32, 1), (FUNCREF, None)], [Label(2, 90, 0, 0)] if i % 3 else [],
                    "0" if i % 2 else "1")
              for i in range(50_000)]
    snap = Snapshot(SHA, frames=frames)
    t0 = time.perf_counter()
    data = encode(snap)
    back = decode(data)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10   # about 0.5 s natively
    assert encode(back) == data
    some = Snapshot(SHA, frames=back.frames[:5] + back.frames[-5:])
    assert canon(some) == canon(Snapshot(SHA, frames=frames[:5] + frames[-5:]))


# ---------------------------------------------------------------- atomic store

def test_store_round_trip(tmp_path):
    path = tmp_path / "app.snap"
    n = write_snapshot(path, small_snapshot())
    assert n == os.path.getsize(path)
    assert canon(read_snapshot(path, SHA)) == canon(small_snapshot())
    assert os.listdir(tmp_path) == ["app.snap"]


def test_failure_mid_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "app.snap"
    write_snapshot(path, small_snapshot())
    old = path.read_bytes()
    new = small_snapshot()
    new.memories = [MemoryState(8, None, bytearray(os.urandom(8 * PAGE)))]
    total = len(encode(new))
    written = [0]
    real_write = os.write

    def failing_write(fd, data):
        room = total // 2 - written[0]
        if room <= 0:
            raise OSError(28, "No space left on device")
        n = real_write(fd, bytes(memoryview(data)[:room]))
        written[0] += n
        return n

    monkeypatch.setattr(store, "_os_write", failing_write)
    with pytest.raises(SnapshotIOError, match="No space left"):
        write_snapshot(path, new)
    assert written[0] == total // 2
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["app.snap"]   # the temp file was removed
    assert canon(read_snapshot(path)) == canon(small_snapshot())


def test_crash_mid_write_keeps_old_file(tmp_path, monkeypatch):
    """A crash (not an OSError) also leaves the old file and propagates unchanged."""
    path = tmp_path / "app.snap"
    write_snapshot(path, small_snapshot())
    old = path.read_bytes()

    def crash(fd, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_os_write", crash)
    with pytest.raises(KeyboardInterrupt):
        write_snapshot(path, small_snapshot())
    assert path.read_bytes() == old


def test_read_errors_name_the_path(tmp_path):
    with pytest.raises(SnapshotIOError, match="missing.snap"):
        read_snapshot(tmp_path / "missing.snap")
    bad = tmp_path / "bad.snap"
    bad.write_bytes(encode(small_snapshot())[:-1])
    with pytest.raises(CorruptSnapshot, match="bad.snap.*checksum"):
        read_snapshot(bad)
    good = tmp_path / "good.snap"
    write_snapshot(good, small_snapshot())
    with pytest.raises(ModuleMismatch):
        read_snapshot(good, OTHER_SHA)


def test_invalid_state_touches_no_file(tmp_path):
    path = tmp_path / "app.snap"
    with pytest.raises(InvalidState):
        write_snapshot(path, Snapshot(SHA, globals=[(EXTERNREF, 1)]))
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- codec

def _codec_round_trip(data):
    cid, parts = codec.encode(data)
    blob = b"".join(bytes(p) for p in parts)
    out = codec.decode(cid, blob, len(data))
    assert out == data
    return cid, blob


@pytest.mark.parametrize("make", [
    lambda: bytearray(16 * PAGE),
    lambda: bytearray(b"\xff" * (4 * PAGE)),
    lambda: bytearray(os.urandom(4 * PAGE)),
    lambda: bytearray(b""),
    lambda: bytearray((b"\x01" + bytes(40)) * 3000 + bytes(4 * PAGE - 41 * 3000)),
    lambda: bytearray(bytes(PAGE - 1) + b"\x01"),
    lambda: bytearray(b"\x01" + bytes(PAGE - 1)),
])
def test_codec_round_trip_shapes(make):
    _codec_round_trip(make())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2 * PAGE - 1), st.binary(min_size=1, max_size=300),
                          st.integers(0, 64)), max_size=30))
def test_codec_round_trip_sparse(writes):
    data = bytearray(2 * PAGE)
    for off, blob, zeros in writes:
        blob = blob + bytes(zeros) + blob
        data[off:off + len(blob)] = blob[:len(data) - off]
    _codec_round_trip(data)


def test_codec_sizes():
    assert _codec_round_trip(bytearray(16 * PAGE))[1] == bytes(8)     # all zero: 8 bytes
    cid, blob = _codec_round_trip(bytearray(os.urandom(PAGE)))
    assert cid == codec.CODEC_RAW and len(blob) == PAGE               # never grows
    assert codec.nonzero_pages(bytearray(3 * PAGE)) == 0
    assert codec.nonzero_pages(bytes(PAGE) + b"\1" + bytes(PAGE - 1)) == 1


def test_codec_rejects_bad_segments():
    cid, parts = codec.encode(bytearray(b"\1" + bytes(PAGE - 1)))
    blob = bytearray(b"".join(bytes(p) for p in parts))
    struct.pack_into("<Q", blob, 8, PAGE)           # segment offset past the end
    with pytest.raises(CorruptSnapshot):
        codec.decode(cid, blob, PAGE)
    with pytest.raises(CorruptSnapshot):
        codec.decode(9, b"", 0)
    with pytest.raises(CorruptSnapshot):
        codec.decode(codec.CODEC_RAW, b"12", 3)


def _sparse_16mib(fraction=0.10, seed=1):
    rnd = random.Random(seed)
    data = bytearray(256 * PAGE)
    todo = int(len(data) * fraction)
    while todo > 0:
        n = rnd.randint(16, 8192)
        off = rnd.randrange(0, len(data) - n)
        data[off:off + n] = rnd.randbytes(n)
        todo -= n
    return data


def test_16mib_mostly_zero_memory_snapshot_size_and_speed():
    data = _sparse_16mib()
    snap = Snapshot(SHA, memories=[MemoryState(256, None, data)])
    t0 = time.perf_counter()
    blob = encode(snap)
    t1 = time.perf_counter()
    back = decode(blob)
    t2 = time.perf_counter()
    assert back.memories[0].data == data
    nonzero = len(data) - data.count(0)
    assert len(blob) < 1.15 * nonzero + 4096          # about the non-zero bytes, no more
    assert len(encode(Snapshot(SHA, memories=[MemoryState(256, None, bytearray(256 * PAGE))]))) < 400
    # generous bounds (measured about 10x faster natively); they catch a per-byte Python loop
    assert t1 - t0 < 1.0 and t2 - t1 < 1.0


# ---------------------------------------------------------------- inspect

def test_inspect_view():
    snap = small_snapshot()
    data = encode(snap)
    view = inspect(data, {5: "compute"})
    json.dumps(view)
    assert view["checksum_ok"] and view["ok"] and view["format_version"] == 1
    assert view["module_sha256"] == SHA.hex()
    assert [s["name"] for s in view["sections"]] == ["meta", "wasi", "frames", "globals",
                                                     "memories", "tables", "dropped"]
    assert view["frames"][1]["name"] == "compute" and view["frames"][1]["pc"] == "0x1a3"
    assert view["frames"][0]["name"] is None
    assert "0x7fa00001" in view["frames"][1]["locals"][1]
    assert view["memories"][0]["nonzero_pages"] == 1
    assert view["tables"][0]["non_null"] == 2
    assert view["wasi"]["fds"]["3"] == "file /:out.txt offset=12"
    text = render_text(view)
    assert "compute pc=0x1a3" in text and "checksum ok" in text and "/:out.txt" in text
    assert inspect(snap, {5: "compute"})["frames"] == view["frames"]


def test_inspect_damaged_file():
    data = bytearray(encode(small_snapshot()))
    data[60] ^= 1
    view = inspect(bytes(data))
    json.dumps(view)
    assert view["checksum_ok"] is False and view["ok"] is False
    assert "checksum BAD" in render_text(view)
    assert inspect(12)["ok"] is False
    bad_state = inspect(Snapshot(SHA, globals=[(EXTERNREF, 1)]))
    assert bad_state["ok"] is False and "externref" in bad_state["error"]
    view = inspect(b"garbage")
    assert view["ok"] is False and "not a readable snapshot" in render_text(view)
