"""The sandboxed resolver (guest path -> an open directory fd and one name in it) and
``rebase``, the one longest-prefix path mapping.

A guest path is resolved relative to the directory fd it names, one component at a time, as
wasmtime 49 resolves it on Linux (``openat2`` with ``RESOLVE_BENEATH``, cap-std's
``open_parent`` for the calls that act on a name): ``..`` goes back to the directory fd walked
from (never above the start: EPERM), a symlink's target is read and walked the same way
(an absolute target: EPERM; more than 40 symlinks: ELOOP), every directory on the way is
opened with O_NOFOLLOW relative to the one before. Nothing is ever resolved by a host path
string, so a directory renamed or swapped for a symlink on the host during the run cannot
take a call outside the start directory (see hostfs.py).

Limits, checked before anything is looked up: a path of PATH_MAX (4096) bytes or more, or a
component longer than NAME_MAX (255) bytes when it is reached: ENAMETOOLONG. The work is linear
in the path's length.
"""
import errno as _errno
import posixpath

from . import hostfs
from .abi import (EINVAL, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, ESCAPE, MAX_SYMLINKS, NAME_MAX,
                  PATH_MAX, WasiError)

# A directory seen by lstat but refused by the O_NOFOLLOW open (swapped for a symlink or a
# file meanwhile) is looked at again, this many times at most.
RACE_RETRIES = 8


def check_path(path):
    """The checks wasmtime makes on a whole guest path before resolving it."""
    if "\0" in path:
        raise WasiError(EINVAL)
    if path == "":
        raise WasiError(ENOENT)
    if len(path) >= PATH_MAX or len(path.encode("utf-8", "surrogateescape")) >= PATH_MAX:
        raise WasiError(ENAMETOOLONG)
    if path.startswith("/"):
        raise WasiError(ESCAPE)


def check_name(name):
    if len(name) > NAME_MAX and len(name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        raise WasiError(ENAMETOOLONG)


def components(path):
    """The components of a relative path, "." and ".." kept, empty ones dropped."""
    return [c for c in path.split("/") if c]


def has_trailing_slash(path):
    return path.endswith("/")


def _rust_components(path):
    """Rust's ``Path::components`` of a relative path: "." dropped except a leading one."""
    parts = path.split("/")
    out = [c for c in parts if c and c != "."]
    if parts[0] == ".":
        out.insert(0, ".")
    return out


def single_name(path):
    """The one name ``path`` consists of, as Rust sees it (``hello.txt``, ``hello.txt/``), else
    None (wasmtime's lstat of such a path ignores a trailing slash)."""
    comps = _rust_components(path)
    if len(comps) == 1 and comps[0] not in (".", ".."):
        return comps[0]
    return None


def split_parent(path):
    """(components of the parent directory, basename) as cap-std's ``open_parent`` splits a
    path: one ending in "/", "/." or ".." names a directory, so its basename is "."."""
    if path.endswith("/") or path.endswith("/."):
        return components(path), "."
    comps = _rust_components(path)
    last = comps[-1] if comps else "."
    if last == "..":
        return components(path), "."
    return comps[:-1], last


def strip_dir_suffix(path):
    """``path`` without its trailing slashes (cap-std's, for mkdir and rename)."""
    stripped = path.rstrip("/")
    return stripped if stripped else path


class Walk:
    """A position below a start directory fd: the directory fds walked into (each opened
    without following a symlink, owned by the walk) and their names, which are the position's
    path below the start with every symlink resolved. ``close()`` closes what it opened."""

    def __init__(self, start_fd):
        self.fds = [start_fd]
        self.names = []
        self.links = 0

    @property
    def fd(self):
        return self.fds[-1]

    def close(self):
        for fd in self.fds[1:]:
            hostfs.close(fd)
        del self.fds[1:]
        del self.names[:]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def take_fd(self, name="."):
        """A new OS fd for the directory ``name`` here (the walk keeps its own)."""
        return hostfs.open_dir_at(self.fd, name)

    def up(self):
        if not self.names:
            raise WasiError(ESCAPE)
        hostfs.close(self.fds.pop())
        self.names.pop()

    def down(self, name):
        self.fds.append(hostfs.open_dir_at(self.fd, name))
        self.names.append(name)

    def lstat(self, name):
        check_name(name)
        return hostfs.lstat_at(self.fd, name)

    def expand(self, name):
        """The components of the target of the symlink ``name`` here, and whether it ends
        with a slash (counted against MAX_SYMLINKS)."""
        self.links += 1
        if self.links > MAX_SYMLINKS:
            raise WasiError(ELOOP)
        target = hostfs.readlink_at(self.fd, name)
        if target.startswith("/"):
            raise WasiError(ESCAPE)
        if not target:
            raise WasiError(ENOENT)
        return components(target), target.endswith("/")

    def to_last(self, comps):
        """Walk every component of ``comps`` but the last, following symlinks (beneath the
        start); return the last one, or "." when the path ends at a directory ("." or "..")."""
        todo = comps[::-1]
        retries = RACE_RETRIES
        while todo:
            c = todo.pop()
            if c == ".":
                if not todo:
                    return "."
                continue
            if c == "..":
                self.up()
                if not todo:
                    return "."
                continue
            if not todo:
                return c
            st = self.lstat(c)
            if st is None:
                raise WasiError(ENOENT)
            if hostfs.S_ISLNK(st.st_mode):
                target, _slash = self.expand(c)
                todo.extend(reversed(target))
                continue
            if not hostfs.S_ISDIR(st.st_mode):
                raise WasiError(ENOTDIR)
            try:
                self.down(c)
            except OSError as e:
                if e.errno not in (_errno.ELOOP, _errno.ENOTDIR) or not retries:
                    raise
                retries -= 1          # changed since the lstat: look again
                todo.append(c)
        return "."

    def follow(self, name):
        """Follow the symlink ``name`` here: walk to its target's last component, which is
        returned with whether the target ends with a slash."""
        target, slash = self.expand(name)
        return self.to_last(target), slash

    def last(self, name, trailing, follow):
        """Follow a path's last component ``name`` here (a symlink when ``follow`` or
        ``trailing``) to what it names: (name, stat result or None if nothing is there,
        trailing); name "." is this walk's directory itself."""
        while name != ".":
            st = self.lstat(name)
            if st is None or not hostfs.S_ISLNK(st.st_mode) or not (follow or trailing):
                return name, st, trailing
            name, slash = self.follow(name)
            trailing = trailing or slash
        return ".", hostfs.fstat(self.fd), trailing

    def resolve(self, path, follow):
        """Walk ``path`` as Linux's openat2(RESOLVE_BENEATH) would: ``last`` of its final
        component (a trailing slash follows a final symlink too)."""
        check_path(path)
        return self.last(self.to_last(components(path)), path.endswith("/"), follow)

    def enter(self, name):
        """Walk into the directory ``name`` here, following symlinks."""
        retries = RACE_RETRIES
        while name != ".":
            st = self.lstat(name)
            if st is None:
                raise WasiError(ENOENT)
            if hostfs.S_ISLNK(st.st_mode):
                name, _slash = self.follow(name)
                continue
            if not hostfs.S_ISDIR(st.st_mode):
                raise WasiError(ENOTDIR)
            try:
                self.down(name)
                return
            except OSError as e:
                if e.errno not in (_errno.ELOOP, _errno.ENOTDIR) or not retries:
                    raise
                retries -= 1

    def open_dir(self, comps):
        """Walk to the directory named by ``comps`` (cap-std's ``open_dir``)."""
        self.enter(self.to_last(comps))

    def open_parent(self, path):
        """Walk to the parent of ``path`` (cap-std's ``open_parent``); return the basename,
        "." when the path names a directory."""
        parent, base = split_parent(path)
        self.open_dir(parent)
        return base


def rebase(path, pairs):
    """Map ``path`` from one directory namespace into another. ``pairs`` are (from_dir, to_dir):
    the longest from_dir that holds ``path`` wins, and the part of ``path`` under it is joined
    to to_dir; None when no from_dir holds it. A from_dir "." holds every relative path that
    does not climb out (not "..", "../x"), "/" every absolute path. Paths are normalized first.

    This is selfhost's only longest-prefix path mapping: the host's Mounts (host <-> guest <->
    runtime views), the program's view of --dir GUEST paths and the remapping of a snapshot's
    preopens all use it."""
    norm = posixpath.normpath(path)
    best = None
    for src, dst in pairs:
        s = posixpath.normpath(src)
        if s == ".":
            if norm.startswith("/") or norm == ".." or norm.startswith("../"):
                continue
            rest = "" if norm == "." else norm
        elif s == "/":
            if not norm.startswith("/"):
                continue
            rest = norm.lstrip("/")
        elif norm == s:
            rest = ""
        elif norm.startswith(s + "/"):
            rest = norm[len(s) + 1:]
        else:
            continue
        if best is None or len(s) > best[0]:
            best = (len(s), dst if not rest else rest if dst == "." else posixpath.join(dst, rest))
    return None if best is None else best[1]


def join_host(root, parts):
    """The host path for components ``parts`` under the host directory ``root``."""
    if not parts:
        return root
    return posixpath.join(root, *parts)


def check_rel(rel):
    """Is ``rel`` a canonical path below a preopen (as Fd.rel and a snapshot hold it): no
    empty, ".", ".." component, not absolute? Raises WasiError(EINVAL) if not."""
    if rel == "":
        return []
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") or "\0" in p for p in parts):
        raise WasiError(EINVAL)
    for p in parts:
        check_name(p)
    return parts
