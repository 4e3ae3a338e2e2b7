"""Mutate-and-reseal for snapshot files: the SHA-256 trailer is only a checksum, so a hostile
snapshot is any bytes with a correct trailer. ``mutate(data, rng)`` changes a snapshot in one
of several ways (byte flips in a chosen section, boundary values in its integers, structural
JSON edits, section lengths, sections dropped or doubled) and reseals it.
"""
import hashlib
import json
import struct

from checkpoint import format as fmt

BOUNDARY = [0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
            0xFFFFFFFE, 0xFFFFFFFF]
JSON_VALUES = [None, True, False, 0, -1, 1 << 70, 1.5, float("1e308"), "", "x" * 300,
               "/etc/passwd", "../../etc/passwd", "..", "/", [], {}, [[[[[]]]]], {"a": {}},
               ["x"] * 3, {"kind": "file"}]


def reseal(body):
    """``body`` (everything but the trailer) + its SHA-256."""
    return bytes(body) + hashlib.sha256(body).digest()


def sections(data):
    """[(id, payload offset, payload length)] of a (sealed) snapshot."""
    return fmt._section_table(memoryview(data))


def _rebuild(header, parts):
    out = bytearray(header)
    for sid, payload in parts:
        out += struct.pack("<BQ", sid, len(payload)) + payload
    return reseal(out)


def _split(data):
    header = data[:fmt.HEADER_SIZE]
    return header, [(sid, bytes(data[pos:pos + n])) for sid, pos, n in sections(data)]


def _json_edit(payload, rng):
    try:
        doc = json.loads(payload)
    except ValueError:
        return payload
    nodes = []                        # (container, key) of every value in the document

    def walk(v):
        if isinstance(v, dict):
            for k in list(v):
                nodes.append((v, k))
                walk(v[k])
        elif isinstance(v, list):
            for i in range(len(v)):
                nodes.append((v, i))
                walk(v[i])
    walk(doc)
    if not nodes:
        return json.dumps(rng.choice(JSON_VALUES)).encode()
    container, key = rng.choice(nodes)
    how = rng.random()
    if how < 0.6:
        container[key] = rng.choice(JSON_VALUES)
    elif how < 0.75 and isinstance(container, dict):
        del container[key]
    elif how < 0.9 and isinstance(container, dict):
        container[rng.choice(["extra", "host_path", "__class__", "9"])] = rng.choice(JSON_VALUES)
    else:                             # nested deeper than any parser's recursion should go
        container[key] = "__DEEP__"
        n = rng.choice([40, 1000, 100000])
        return json.dumps(doc).replace('"__DEEP__"', "[" * n + "0" + "]" * n).encode()
    return json.dumps(doc).encode()


def mutate(data, rng):
    """One mutation of the sealed snapshot ``data`` (bytes), resealed."""
    header, parts = _split(data)
    how = rng.random()
    if how < 0.35:                      # flip bytes in one section, chosen without size bias
        i = rng.randrange(len(parts))
        sid, payload = parts[i]
        if payload:
            payload = bytearray(payload)
            for _ in range(rng.choice([1, 1, 2, 8])):
                payload[rng.randrange(len(payload))] ^= 1 << rng.randrange(8)
            parts[i] = (sid, bytes(payload))
    elif how < 0.6:                     # a boundary value in one of a section's u32s
        i = rng.randrange(len(parts))
        sid, payload = parts[i]
        if len(payload) >= 4:
            payload = bytearray(payload)
            at = rng.randrange(len(payload) - 3)
            if rng.random() < 0.7:
                at -= at % 4
            payload[at:at + 4] = struct.pack("<I", rng.choice(BOUNDARY))
            parts[i] = (sid, bytes(payload))
    elif how < 0.85:                    # structural edits of the JSON sections
        i = [k for k, (sid, _p) in enumerate(parts) if sid in (fmt.SEC_META, fmt.SEC_WASI)]
        if i:
            k = rng.choice(i)
            parts[k] = (parts[k][0], _json_edit(parts[k][1], rng))
    elif how < 0.92:                    # a section cut short or grown
        i = rng.randrange(len(parts))
        sid, payload = parts[i]
        if rng.random() < 0.5 and payload:
            payload = payload[:rng.randrange(len(payload))]
        else:
            payload = payload + bytes([rng.randrange(256)]) * rng.choice([1, 4, 64])
        parts[i] = (sid, payload)
    else:                               # a section dropped, doubled, or of an unknown id
        i = rng.randrange(len(parts))
        r = rng.random()
        if r < 0.4:
            del parts[i]
        elif r < 0.8:
            parts.insert(i, parts[i])
        else:
            parts[i] = (rng.choice([0, 8, 0x7F, 0x80]), parts[i][1])
    return _rebuild(header, parts)
