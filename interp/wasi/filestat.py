"""A host stat result as wasmtime 49 reports it in a WASI filestat or dirent.

wasmtime does not pass the host's device and inode numbers on: ``dev`` is always 1 and
``ino`` is a 64-bit hash of (dev, ino): Rust's ``DefaultHasher`` (SipHash-1-3, keys 0) over the
two numbers as little-endian u64s. selfhost computes the same value, so a guest sees the very
numbers the wasmtime CLI shows it. Under a host whose own WASI already answers that way (the
wasmtime CLI or wasmtime-py running selfhost.wasm: dev is 1) the inode is passed through.
"""
import struct

from .abi import FILETYPE_DIR, MASK64, _FILESTAT, filetype

_M = MASK64
_PAIR = struct.Struct("<QQ")


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & _M


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _M
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _M
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _M
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _M
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash13(data):
    """SipHash-1-3 with a zero key (Rust's ``DefaultHasher::new()``) of ``data``."""
    v0, v1, v2, v3 = 0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573
    n = len(data)
    end = n - n % 8
    for i in range(0, end, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= m
    last = ((n & 0xFF) << 56) | int.from_bytes(data[end:], "little")
    v3 ^= last
    v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    v0 ^= last
    v2 ^= 0xFF
    for _ in range(3):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def inode(st):
    """The ino wasmtime reports for a host stat result."""
    if st.st_dev == 1:                 # the host is a wasmtime: already its hash
        return st.st_ino & _M
    return siphash13(_PAIR.pack(st.st_dev & _M, st.st_ino & _M))


def nlink(st, count_subdirs=None):
    """st_nlink, except where a host's virtual file system reports fewer than POSIX's two
    links for a directory (Wasmer: 1): then 2 + its subdirectories (``count_subdirs()``)."""
    n = st.st_nlink
    if n < 2 and filetype(st.st_mode) == FILETYPE_DIR and count_subdirs is not None:
        try:
            n = 2 + count_subdirs()
        except OSError:
            pass
    return n


def pack(st, count_subdirs=None):
    """The 64-byte WASI filestat of a host stat result."""
    return _FILESTAT.pack(1, inode(st), filetype(st.st_mode), nlink(st, count_subdirs) & _M,
                          max(st.st_size, 0) & _M, st.st_atime_ns & _M, st.st_mtime_ns & _M,
                          st.st_ctime_ns & _M)
