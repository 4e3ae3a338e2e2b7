"""WASI preview1's ABI as selfhost serves it: errno values (and the host errno -> WASI errno
map), rights, file types, flags, the byte layouts of its structs, every function's signature,
and the argument checks that wasmtime makes before a call (``ARG_CHECKS``).
"""
import errno as _errno
import struct

from ..module import FuncType
from ..opcodes import I32, I64

# --- WASI constants ------------------------------------------------------------------------

ESUCCESS = 0
E2BIG, EACCES, EAGAIN, EBADF, EBUSY, EEXIST, EFAULT = 1, 2, 6, 8, 10, 20, 21
EILSEQ, EINTR, EINVAL, EIO, EISDIR, ELOOP, ENAMETOOLONG = 25, 27, 28, 29, 31, 32, 37
ENOENT, ENOMEM, ENOSYS, ENOTDIR, ENOTEMPTY, ENOTSOCK, ENOTSUP = 44, 48, 52, 54, 55, 57, 58
EOVERFLOW, EPERM, ESPIPE, EXDEV, ENOTCAPABLE = 61, 63, 70, 75, 76
# what a path that leaves its directory fd gets: EPERM, as wasmtime answers (cap-std)
ESCAPE = EPERM

# WASI errno numbers by POSIX name; the Python errno module supplies the host's numbers.
WASI_ERRNO_BY_NAME = {
    "E2BIG": 1, "EACCES": 2, "EADDRINUSE": 3, "EADDRNOTAVAIL": 4, "EAFNOSUPPORT": 5,
    "EAGAIN": 6, "EALREADY": 7, "EBADF": 8, "EBADMSG": 9, "EBUSY": 10, "ECANCELED": 11,
    "ECHILD": 12, "ECONNABORTED": 13, "ECONNREFUSED": 14, "ECONNRESET": 15, "EDEADLK": 16,
    "EDESTADDRREQ": 17, "EDOM": 18, "EDQUOT": 19, "EEXIST": 20, "EFAULT": 21, "EFBIG": 22,
    "EHOSTUNREACH": 23, "EIDRM": 24, "EILSEQ": 25, "EINPROGRESS": 26, "EINTR": 27,
    "EINVAL": 28, "EIO": 29, "EISCONN": 30, "EISDIR": 31, "ELOOP": 32, "EMFILE": 33,
    "EMLINK": 34, "EMSGSIZE": 35, "EMULTIHOP": 36, "ENAMETOOLONG": 37, "ENETDOWN": 38,
    "ENETRESET": 39, "ENETUNREACH": 40, "ENFILE": 41, "ENOBUFS": 42, "ENODEV": 43,
    "ENOENT": 44, "ENOEXEC": 45, "ENOLCK": 46, "ENOLINK": 47, "ENOMEM": 48, "ENOMSG": 49,
    "ENOPROTOOPT": 50, "ENOSPC": 51, "ENOSYS": 52, "ENOTCONN": 53, "ENOTDIR": 54,
    "ENOTEMPTY": 55, "ENOTRECOVERABLE": 56, "ENOTSOCK": 57, "ENOTSUP": 58, "ENOTTY": 59,
    "ENXIO": 60, "EOVERFLOW": 61, "EOWNERDEAD": 62, "EPERM": 63, "EPIPE": 64, "EPROTO": 65,
    "EPROTONOSUPPORT": 66, "EPROTOTYPE": 67, "ERANGE": 68, "EROFS": 69, "ESPIPE": 70,
    "ESRCH": 71, "ESTALE": 72, "ETIMEDOUT": 73, "ETXTBSY": 74, "EXDEV": 75,
    "ENOTCAPABLE": 76,
}
HOST_TO_WASI_ERRNO = {}
for _name, _code in WASI_ERRNO_BY_NAME.items():
    _host = getattr(_errno, _name, None)
    if _host is not None:
        HOST_TO_WASI_ERRNO.setdefault(_host, _code)
for _alias, _code in (("EWOULDBLOCK", 6), ("EOPNOTSUPP", 58), ("EDEADLOCK", 16)):
    _host = getattr(_errno, _alias, None)
    if _host is not None:
        HOST_TO_WASI_ERRNO.setdefault(_host, _code)


def wasi_errno(exc):
    """The WASI errno for a Python OSError (EIO when the host errno has no WASI equivalent)."""
    return HOST_TO_WASI_ERRNO.get(exc.errno, EIO)


FILETYPE_UNKNOWN, FILETYPE_BLOCK, FILETYPE_CHAR, FILETYPE_DIR, FILETYPE_REG = 0, 1, 2, 3, 4
FILETYPE_SOCKET_DGRAM, FILETYPE_SOCKET_STREAM, FILETYPE_SYMLINK = 5, 6, 7

OFLAG_CREAT, OFLAG_DIRECTORY, OFLAG_EXCL, OFLAG_TRUNC = 1, 2, 4, 8
FDFLAG_APPEND, FDFLAG_DSYNC, FDFLAG_NONBLOCK, FDFLAG_RSYNC, FDFLAG_SYNC = 1, 2, 4, 8, 16
FDFLAGS_SYNCS = FDFLAG_DSYNC | FDFLAG_RSYNC | FDFLAG_SYNC
FDFLAGS_ALL = 0x1F
LOOKUP_SYMLINK_FOLLOW = 1
FST_ATIM, FST_ATIM_NOW, FST_MTIM, FST_MTIM_NOW = 1, 2, 4, 8
EVENT_FD_READWRITE_HANGUP = 1

RIGHT_FD_DATASYNC = 1 << 0
RIGHT_FD_READ = 1 << 1
RIGHT_FD_SEEK = 1 << 2
RIGHT_FD_TELL = 1 << 5
RIGHT_FD_WRITE = 1 << 6
RIGHT_FD_READDIR = 1 << 14
RIGHT_PATH_FILESTAT_SET_SIZE = 1 << 19
RIGHT_FD_FILESTAT_SET_SIZE = 1 << 22
RIGHTS_ALL = (1 << 30) - 1          # through sock_accept, as wasmtime's Rights::all()
# What wasmtime 49's fd_fdstat_get reports. It keeps no rights of its own: a preopen has a
# fixed set, stdio one bit, every other fd "all" minus what its kind and open mode exclude.
RIGHTS_PREOPEN_BASE = 0x7B7FE00
RIGHTS_PREOPEN_INHERITING = 0xFF7FFFF
RIGHTS_NOT_DIR = (RIGHT_FD_SEEK | RIGHT_FD_FILESTAT_SET_SIZE | RIGHT_PATH_FILESTAT_SET_SIZE
                  | RIGHT_FD_WRITE)
RIGHTS_NOT_READ = RIGHT_FD_READ | RIGHT_FD_READDIR


def reported_rights(is_dir, read, write):
    """The rights wasmtime reports for a directory or file opened for reading/writing."""
    rights = RIGHTS_ALL
    if is_dir:
        rights &= ~RIGHTS_NOT_DIR
    if not read:
        rights &= ~RIGHTS_NOT_READ
    if not write:
        rights &= ~RIGHT_FD_WRITE
    return rights


CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS, CLOCK_THREAD = 0, 1, 2, 3
EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE = 0, 1, 2
SUBSCRIPTION_CLOCK_ABSTIME = 1
MAX_SYMLINKS = 40            # cap-std's (and Linux's) limit on symlinks in one resolution
PATH_MAX = 4096              # a path of this many bytes or more: ENAMETOOLONG
NAME_MAX = 255               # a longer component: ENAMETOOLONG

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF
INT64_MAX = (1 << 63) - 1

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_IOVEC = struct.Struct("<II")
_FDSTAT = struct.Struct("<BxHxxxxQQ")             # 24 bytes
_FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")      # 64 bytes
_DIRENT = struct.Struct("<QQIBxxx")                # 24 bytes, then the name
_PRESTAT = struct.Struct("<BxxxI")                 # 8 bytes
_SUB_HEAD = struct.Struct("<QB")                   # userdata, tag (at 0, 8)
_SUB_CLOCK = struct.Struct("<IxxxxQQH")            # at 16: id, timeout, precision, flags
_EVENT = struct.Struct("<QHBxxxxxQHxxxxxx")        # userdata, error, type, nbytes(16), flags(24)
SUBSCRIPTION_SIZE, EVENT_SIZE = 48, 32

# name -> (param types, result types); every function returns an errno except proc_exit
SIGNATURES = {
    "args_get": ("ii", "i"), "args_sizes_get": ("ii", "i"),
    "environ_get": ("ii", "i"), "environ_sizes_get": ("ii", "i"),
    "clock_res_get": ("ii", "i"), "clock_time_get": ("iIi", "i"),
    "fd_advise": ("iIIi", "i"), "fd_allocate": ("iII", "i"), "fd_close": ("i", "i"),
    "fd_datasync": ("i", "i"), "fd_fdstat_get": ("ii", "i"), "fd_fdstat_set_flags": ("ii", "i"),
    "fd_fdstat_set_rights": ("iII", "i"), "fd_filestat_get": ("ii", "i"),
    "fd_filestat_set_size": ("iI", "i"), "fd_filestat_set_times": ("iIIi", "i"),
    "fd_pread": ("iiiIi", "i"), "fd_prestat_get": ("ii", "i"),
    "fd_prestat_dir_name": ("iii", "i"), "fd_pwrite": ("iiiIi", "i"), "fd_read": ("iiii", "i"),
    "fd_readdir": ("iiiIi", "i"), "fd_renumber": ("ii", "i"), "fd_seek": ("iIii", "i"),
    "fd_sync": ("i", "i"), "fd_tell": ("ii", "i"), "fd_write": ("iiii", "i"),
    "path_create_directory": ("iii", "i"), "path_filestat_get": ("iiiii", "i"),
    "path_filestat_set_times": ("iiiiIIi", "i"), "path_link": ("iiiiiii", "i"),
    "path_open": ("iiiiiIIii", "i"), "path_readlink": ("iiiiii", "i"),
    "path_remove_directory": ("iii", "i"), "path_rename": ("iiiiii", "i"),
    "path_symlink": ("iiiii", "i"), "path_unlink_file": ("iii", "i"),
    "poll_oneoff": ("iiii", "i"), "proc_exit": ("i", ""), "proc_raise": ("i", "i"),
    "sched_yield": ("", "i"), "random_get": ("ii", "i"),
    "sock_accept": ("iii", "i"), "sock_recv": ("iiiiii", "i"), "sock_send": ("iiiii", "i"),
    "sock_shutdown": ("ii", "i"),
}
_VALTYPE = {"i": I32, "I": I64}

# The enum and flags arguments wasmtime (wiggle) converts before the call: a value out of range
# is no errno there but an error that stops the program ("In func ... at convert Whence:
# Invalid enum value Whence"). name -> ((argument index, witx type, "enum"|"flag", limit)...):
# an enum must be < limit, a flags value must have no bit outside limit.
_CLOCKID = ("Clockid", "enum", 4)
_LOOKUP = ("Lookupflags", "flag", 0x1)
_FDFLAGS = ("Fdflags", "flag", FDFLAGS_ALL)
_FSTFLAGS = ("Fstflags", "flag", 0xF)
_RIGHTS = ("Rights", "flag", RIGHTS_ALL)
ARG_CHECKS = {
    "clock_res_get": ((0,) + _CLOCKID,),
    "clock_time_get": ((0,) + _CLOCKID,),
    "fd_advise": ((3, "Advice", "enum", 6),),
    "fd_fdstat_set_flags": ((1,) + _FDFLAGS,),
    "fd_fdstat_set_rights": ((1,) + _RIGHTS, (2,) + _RIGHTS),
    "fd_filestat_set_times": ((3,) + _FSTFLAGS,),
    "fd_seek": ((2, "Whence", "enum", 3),),
    "path_filestat_get": ((1,) + _LOOKUP,),
    "path_filestat_set_times": ((1,) + _LOOKUP, (6,) + _FSTFLAGS),
    "path_link": ((1,) + _LOOKUP,),
    "path_open": ((1,) + _LOOKUP, (4, "Oflags", "flag", 0xF), (5,) + _RIGHTS, (6,) + _RIGHTS,
                  (7,) + _FDFLAGS),
    "proc_raise": ((0, "Signal", "enum", 31),),
    "sock_accept": ((1,) + _FDFLAGS,),
    "sock_recv": ((3, "Riflags", "flag", 0x3),),
    "sock_send": ((3, "Siflags", "flag", 0x0),),
    "sock_shutdown": ((1, "Sdflags", "flag", 0x3),),
}


def functype(name):
    params, results = SIGNATURES[name]
    return FuncType(tuple(_VALTYPE[c] for c in params), tuple(_VALTYPE[c] for c in results))


class WasiError(Exception):
    """Raised inside a WASI function to return an errno to the guest."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def filetype(mode):
    """The WASI file type of a st_mode (a FIFO is "unknown", as wasmtime reports it)."""
    kind = mode & 0o170000
    if kind == 0o100000:
        return FILETYPE_REG
    if kind == 0o040000:
        return FILETYPE_DIR
    if kind == 0o120000:
        return FILETYPE_SYMLINK
    if kind == 0o020000:
        return FILETYPE_CHAR
    if kind == 0o060000:
        return FILETYPE_BLOCK
    if kind == 0o140000:
        return FILETYPE_SOCKET_STREAM
    return FILETYPE_UNKNOWN


CHECKPOINT_MAGIC = ".selfhost-checkpoint"
