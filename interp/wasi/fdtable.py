"""The fd table's entries: plain data (kind, where it lives, flags, rights, offset, the dir fd it
was opened from), so a checkpoint can save it and a restore reopen it.

Where a file or directory lives is said twice: ``host_path`` (as this process sees it, for the
calls) and ``root`` + ``rel`` (the guest name of the preopen it is under, and its path below
that preopen with every symlink already resolved). A snapshot keeps only the second form, so a
restore reopens files relative to the directories the *user* gives, never at a host path that
the snapshot names (checkpoint/wasi_state.py).
"""
import io

from .abi import RIGHTS_ALL


class Fd:
    """One entry of the fd table. Plain data except ``handle`` (the OS fd of an open file)."""

    FIELDS = ("kind", "host_path", "guest_path", "preopen", "fdflags", "rights_base",
              "rights_inheriting", "offset", "dir_fd", "stdio", "root", "rel")

    def __init__(self, kind, host_path=None, guest_path=None, preopen=False, fdflags=0,
                 rights_base=RIGHTS_ALL, rights_inheriting=RIGHTS_ALL, offset=0, dir_fd=None,
                 stdio=None, root=None, rel=""):
        self.kind = kind              # "stdio" | "file" | "dir" | "magic" (checkpoint request)
        self.host_path = host_path    # path as this Python process sees it
        self.guest_path = guest_path  # preopen name, or the path the guest opened (dir-relative)
        self.preopen = preopen
        self.fdflags = fdflags
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.offset = offset
        self.dir_fd = dir_fd          # the guest fd it was opened relative to
        self.stdio = stdio            # 0, 1, 2 for kind "stdio"
        self.root = root              # guest name of the preopen it lives under (files, dirs)
        self.rel = rel                # its path below that preopen ("" for the preopen itself)
        self.handle = None            # OS fd (files only); not part of the saved state

    def state(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def __repr__(self):
        return "Fd(%r)" % self.state()


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
