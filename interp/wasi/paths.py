"""Guest path -> host path inside one preopen, component by component, never leaving it (pure
functions, tested on their own).
"""
import os
import posixpath
import stat as _stat

from .abi import (EINVAL, ELOOP, ENOENT, ENOTDIR, ESCAPE, MAX_SYMLINKS, WasiError,
                  wasi_errno)



def join_host(root, parts):
    """The host path for components ``parts`` under the host directory ``root``."""
    if not parts:
        return root
    return os.path.join(root, *parts)


def resolve_in(root, path, follow_last=True, max_links=MAX_SYMLINKS):
    """Resolve guest ``path`` relative to the host directory ``root`` without ever leaving it.

    Returns the list of components (no ".", "..", or followed symlinks left). Raises WasiError:
    ESCAPE (EPERM) for an absolute path or one that escapes (through ".." or a symlink), ENOENT for
    an empty path, ELOOP after too many symlinks. Symlinks are followed for every component
    but the last, and for the last one when ``follow_last``.
    """
    if path == "":
        raise WasiError(ENOENT)
    if path.startswith("/"):
        raise WasiError(ESCAPE)
    if "\0" in path:
        raise WasiError(EINVAL)
    trailing_slash = path.endswith("/")
    todo = [p for p in path.split("/") if p not in ("", ".")]
    todo.reverse()                   # a stack: the next component is todo[-1]
    stack = []
    links = 0
    while todo:
        part = todo.pop()
        if part == "..":
            if not stack:
                raise WasiError(ESCAPE)
            try:                     # like the OS: "x/.." needs x to be a directory
                if not _stat.S_ISDIR(os.stat(join_host(root, stack)).st_mode):
                    raise WasiError(ENOTDIR)
            except OSError as e:
                raise WasiError(wasi_errno(e)) from None
            stack.pop()
            continue
        stack.append(part)
        is_last = not todo
        if is_last and not follow_last and not trailing_slash:
            break
        host = join_host(root, stack)
        try:
            is_link = _stat.S_ISLNK(os.lstat(host).st_mode)
        except OSError:
            is_link = False
        if not is_link:
            continue
        links += 1
        if links > max_links:
            raise WasiError(ELOOP)
        target = os.readlink(host)
        if target.startswith("/"):
            raise WasiError(ESCAPE)
        stack.pop()
        todo.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
    return stack


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
