"""The fd table: plain-data entries (kind, where it lives, open mode, flags, offset) numbered as
wasmtime numbers them, so a checkpoint can save it and a restore reopen it.

Where a file or directory lives is said twice: ``host_path`` (as this process sees it: for
messages, and for listing a directory inside selfhost.wasm, whose Python cannot list an open
directory fd) and ``root`` + ``rel`` (the guest name of the preopen it is under, and its path
below that preopen with every symlink already resolved). Every call works on ``handle``, the OS
fd; a snapshot keeps only ``root`` + ``rel``, so a restore reopens files relative to the
directories the *user* gives, never at a host path that the snapshot names
(checkpoint/wasi_state.py).

The open mode is kept as the rights wasmtime reports (``rights_base``): its FD_READ and
FD_WRITE bits say whether the fd reads and writes; nothing else of what the guest asked for is
kept (wasmtime 49 keeps nothing either).
"""
import io

from .abi import RIGHT_FD_READ, RIGHT_FD_WRITE, RIGHTS_ALL


class Fd:
    """One entry of the fd table. Plain data except ``handle`` (the OS fd of an open file or
    directory)."""

    FIELDS = ("kind", "host_path", "guest_path", "preopen", "fdflags", "rights_base",
              "rights_inheriting", "offset", "dir_fd", "stdio", "root", "rel")

    def __init__(self, kind, host_path=None, guest_path=None, preopen=False, fdflags=0,
                 rights_base=RIGHTS_ALL, rights_inheriting=RIGHTS_ALL, offset=0, dir_fd=None,
                 stdio=None, root=None, rel=""):
        self.kind = kind              # "stdio" | "file" | "dir" | "magic" (checkpoint request)
        self.host_path = host_path    # path as this Python process sees it
        self.guest_path = guest_path  # preopen name, or the path the guest opened (dir-relative)
        self.preopen = preopen
        self.fdflags = fdflags        # APPEND | NONBLOCK
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.offset = offset
        self.dir_fd = dir_fd          # the guest fd it was opened relative to
        self.stdio = stdio            # 0, 1, 2 for kind "stdio"
        self.root = root              # guest name of the preopen it lives under (files, dirs)
        self.rel = rel                # its path below that preopen ("" for the preopen itself)
        self.handle = None            # OS fd (files and directories); not part of the saved state

    @property
    def readable(self):
        return bool(self.rights_base & RIGHT_FD_READ)

    @property
    def writable(self):
        return bool(self.rights_base & RIGHT_FD_WRITE)

    def state(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def __repr__(self):
        return "Fd(%r)" % self.state()


class FdTable:
    """Guest fd number -> Fd, numbered as wasmtime's preview1 adapter does: a new fd takes the
    highest number freed so far (closed or renumbered away), else one past the highest in use."""

    def __init__(self):
        self.used = {}
        self.free = set()

    def get(self, n):
        return self.used.get(n)

    def __getitem__(self, n):
        return self.used[n]

    def push(self, entry):
        if self.free:
            n = max(self.free)
            self.free.discard(n)
        else:
            n = max(self.used) + 1 if self.used else 0
        self.used[n] = entry
        return n

    def remove(self, n):
        entry = self.used.pop(n)
        self.free.add(n)
        return entry

    def move(self, src, dst):
        """fd_renumber: ``src``'s entry becomes ``dst`` (both in use, src != dst); returns the
        entry that ``dst`` held (its owner closes it)."""
        old = self.used[dst]
        self.used[dst] = self.used.pop(src)
        self.free.add(src)
        return old

    def values(self):
        return self.used.values()

    def items(self):
        return self.used.items()

    def __contains__(self, n):
        return n in self.used

    def __len__(self):
        return len(self.used)


def _std_stream(text_stream):
    """The binary stream under sys.stdin/stdout/stderr; an empty one when Python has none
    (its fd was closed when the process started)."""
    buffer = getattr(text_stream, "buffer", None)
    return buffer if buffer is not None else io.BytesIO()


def _stream_isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
