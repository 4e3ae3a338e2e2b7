"""The snapshot's WASI section: its schema, in one owner.

interp.wasi's ``WASI.state()`` gives the live state; ``to_json`` turns it into the section (plain
JSON); ``from_json`` checks a section read from a snapshot file field by field and maps it onto
the directories the user gives for the restore, giving back what ``WASI.restore_state`` takes;
``needed_dirs``, ``recorded_preopens`` and ``describe`` serve the host's checks and
``selfhost inspect``.

A snapshot is untrusted input (docs/security.md): anyone can write one and recompute its
checksum. So nothing in it is used as a host path. An open file or directory is recorded as
``root`` (the guest name of the preopen it lives under) and ``rel`` (its path below it, symlinks
already resolved); a restore finds the root among the user's ``--dir`` directories by guest
name and resolves ``rel`` inside it with the same sandboxed resolver as every WASI call (a
``..`` or a symlink out is refused). The preopens' recorded host directories
(``recorded_preopens``) are information (where the snapshot was taken), never used to open
anything here; `selfhost restore` offers them as defaults only for a snapshot that this
user's own runs wrote on this machine (host/known_snapshots.py).

Section (JSON object):
    args, env:    lists of strings (surrogate-escaped UTF-8)
    preopens:     [[host_dir_when_taken, guest_name], ...] in fd order (the user's host path
                  when the launcher said it with --dir-origin, else selfhost's own view)
    fds:          {"N": {kind, guest_path, preopen, fdflags, rights_base, rights_inheriting,
                         offset, dir_fd, stdio, root, rel}}
    free:         fd numbers closed and not reused yet (a new fd takes the highest)
    written:      {"1": bytes written to stdout, "2": to stderr}
    stdin_read:   bytes consumed from stdin
"""
from interp.wasi.abi import FDFLAGS_ALL, RIGHTS_ALL, WasiError
from interp.wasi.paths import check_rel

from .snapshot import InvalidState

KINDS = ("stdio", "file", "dir", "magic")
MAX_FD = (1 << 31) - 1
MAX_FDS = 1 << 16            # open fds a snapshot may name (far above any real app's)
MAX_OFFSET = (1 << 63) - 1
_FD_KEYS = ("kind", "guest_path", "preopen", "fdflags", "rights_base", "rights_inheriting",
            "offset", "dir_fd", "stdio", "root", "rel")
_TOP_KEYS = ("args", "env", "preopens", "fds", "free", "written", "stdin_read")


def to_json(state, origins=None):
    """``WASI.state()`` -> the section: string keys, no host paths for fds. ``origins``
    ({guest name: host path}, from selfhost's --dir-origin) names where each preopen is on
    the user's host, recorded instead of selfhost's own view of it (under Wasmer a sandbox
    copy, under wasmtime the guest name itself)."""
    origins = origins or {}
    fds = {}
    for n, fields in state["fds"].items():
        fds[str(n)] = {k: fields.get(k) for k in _FD_KEYS}
    return {"args": list(state["args"]), "env": list(state["env"]),
            "preopens": [[origins.get(guest, host), guest] for host, guest in state["preopens"]],
            "fds": fds, "free": list(state["free"]),
            "written": {str(k): v for k, v in state["written"].items()},
            "stdin_read": state["stdin_read"]}


def _bad(what):
    return InvalidState("snapshot's WASI state is invalid: %s" % what)


def _int(value, what, lo=0, hi=MAX_OFFSET):
    if type(value) is not int or not lo <= value <= hi:
        raise _bad("%s must be an integer in [%d, %d], not %.40r" % (what, lo, hi, value))
    return value


def _str(value, what):
    if type(value) is not str:
        raise _bad("%s must be a string, not %.40r" % (what, value))
    return value


def _strings(value, what):
    if type(value) is not list:
        raise _bad("%s must be a list of strings" % what)
    return [_str(v, "%s[%d]" % (what, i)) for i, v in enumerate(value)]


def _object(value, what, keys):
    if type(value) is not dict:
        raise _bad("%s must be an object" % what)
    missing = [k for k in keys if k not in value]
    extra = [k for k in value if k not in keys]
    if missing or extra:
        raise _bad("%s: %s" % (what, ", ".join(["missing %r" % k for k in missing]
                                               + ["unknown %.40r" % k for k in extra])))
    return value


def _preopens(value):
    if type(value) is not list:
        raise _bad("preopens must be a list")
    out = []
    for i, p in enumerate(value):
        if type(p) is not list or len(p) != 2:
            raise _bad("preopens[%d] must be [host, guest]" % i)
        out.append((_str(p[0], "preopens[%d] host" % i), _str(p[1], "preopens[%d] guest" % i)))
    return out


def needed_dirs(section):
    """The guest names of the directories a snapshot's app had preopened (a restore must be
    given each with --dir HOST::GUEST). Raises InvalidState for a malformed section."""
    return [guest for _host, guest in recorded_preopens(section)]


def recorded_preopens(section):
    """[(host path when taken, guest name)] of a snapshot's preopens: where the snapshot says
    they were (untrusted: never opened as such, see the module docstring)."""
    _object(section, "the WASI section", _TOP_KEYS)
    return _preopens(section["preopens"])


def from_json(section, preopens):
    """Check ``section`` and map it onto ``preopens`` ([(host, guest)], the directories given
    for this restore): the state ``WASI.restore_state`` takes, with host paths found by
    resolving each fd's ``rel`` inside the user's directory for its ``root``. Raises
    InvalidState (a one-line reason) for anything malformed, out of range, or outside the
    given directories."""
    _object(section, "the WASI section", _TOP_KEYS)
    args = _strings(section["args"], "args")
    env = _strings(section["env"], "env")
    recorded = _preopens(section["preopens"])
    given = {}
    for host, guest in preopens:
        given.setdefault(guest, host)
    roots = {}
    for _old_host, guest in recorded:
        if guest not in given:
            raise InvalidState("the snapshot needs the directory %r: pass --dir HOST::%s"
                               % (guest, guest))
        roots[guest] = given[guest]
    written = _object(section["written"], "written", ("1", "2"))
    stdin_read = _int(section["stdin_read"], "stdin_read")
    fds_in = section["fds"]
    if type(fds_in) is not dict:
        raise _bad("fds must be an object")
    if len(fds_in) > MAX_FDS:
        raise _bad("%d open fds (at most %d)" % (len(fds_in), MAX_FDS))
    fds = {}
    for key, fields in fds_in.items():
        if type(key) is not str or not key.isdigit():
            raise _bad("fd number %.40r" % key)
        n = _int(int(key), "fd number", 0, MAX_FD)
        fds[n] = _fd(n, _object(fields, "fd %d" % n, _FD_KEYS), roots)
    free = section["free"]
    if type(free) is not list or len(free) > MAX_FDS:
        raise _bad("free must be a list of at most %d fd numbers" % MAX_FDS)
    free = [_int(f, "free fd number", 0, MAX_FD) for f in free]
    if set(free) & set(fds):
        raise _bad("an fd number both free and open")
    return {"args": args, "env": env,
            "preopens": [(roots[guest], guest) for _h, guest in recorded],
            "fds": fds, "free": free, "written": {1: _int(written["1"], "written[1]"),
                                    2: _int(written["2"], "written[2]")},
            "stdin_read": stdin_read}


def _fd(n, f, roots):
    kind = f["kind"]
    if kind not in KINDS:
        raise _bad("fd %d: kind %.40r" % (n, kind))
    out = {"kind": kind,
           "guest_path": None if f["guest_path"] is None else _str(f["guest_path"],
                                                                  "fd %d guest_path" % n),
           "preopen": f["preopen"] is True,
           "fdflags": _int(f["fdflags"], "fd %d fdflags" % n, 0, FDFLAGS_ALL),
           "rights_base": _int(f["rights_base"], "fd %d rights_base" % n, 0, RIGHTS_ALL),
           "rights_inheriting": _int(f["rights_inheriting"], "fd %d rights_inheriting" % n, 0,
                                     RIGHTS_ALL),
           "offset": _int(f["offset"], "fd %d offset" % n),
           "dir_fd": None if f["dir_fd"] is None else _int(f["dir_fd"], "fd %d dir_fd" % n, 0,
                                                           MAX_FD),
           "stdio": None, "root": None, "rel": "", "host_path": None}
    if f["preopen"] not in (True, False):
        raise _bad("fd %d: preopen must be true or false" % n)
    if kind == "stdio":
        out["stdio"] = _int(f["stdio"], "fd %d stdio" % n, 0, 2)
        return out
    if kind == "magic":
        return out
    root = _str(f["root"], "fd %d root" % n)
    rel = _str(f["rel"], "fd %d rel" % n)
    if root not in roots:
        raise InvalidState("snapshot's fd %d lives under %r, which is not one of the "
                           "snapshot's preopened directories" % (n, root))
    if out["preopen"] and rel:
        raise _bad("fd %d: a preopen with a path below it" % n)
    try:
        check_rel(rel)
    except WasiError:
        raise InvalidState("snapshot's fd %d names %.80r, which is not a path below the "
                           "directory %r" % (n, rel, root)) from None
    # WASI.restore_state reopens it below the user's directory for ``root``, one component at
    # a time, never following a symlink: a crafted rel cannot leave that directory
    out.update(root=root, rel=rel)
    return out


def describe(section):
    """A display form of a section for ``selfhost inspect`` (tolerates malformed input)."""
    if not isinstance(section, dict):
        return {"error": "not an object"}
    fds = section.get("fds")
    view = {"args": section.get("args"), "env": section.get("env"),
            "preopens": section.get("preopens"), "fds": {}}
    if isinstance(fds, dict):
        for n, f in fds.items():
            if isinstance(f, dict):
                where = f.get("guest_path") if f.get("kind") == "stdio" else \
                    "%s:%s" % (f.get("root"), f.get("rel") or ".")
                view["fds"][str(n)] = "%s %s offset=%s" % (f.get("kind"), where, f.get("offset"))
    view["written"] = section.get("written")
    return view
