"""Mounts: the directories a launch gives selfhost.wasm, and the only place paths are mapped.

A path has up to three names:

* **host**: as the user and this process see it (`--dir HOST`, `--snapshot PATH`, APP.wasm);
* **guest**: as selfhost.wasm's command line names it: a user directory under its GUEST name
  (the name the app sees too), a private one (for selfhost only: the app's own directory, the
  checkpoint files' directories) under a reserved name such as ``/.selfhost-app``;
* **view**: where selfhost.wasm really finds it under a given runtime. wasmtime, Node and the
  wasmtime CLI preopen each directory at its guest name (view = guest); Wasmer copies each into
  its sandbox at ``/workspace/dN``; the native runtime runs selfhost on this CPython, which sees
  host paths.

``Mounts`` holds the directories and maps host -> guest (``guest_file``); ``view(runtime)``
gives a ``View`` that maps guest -> view for one runtime (``path``, ``rewrite_argv``) and says
what the runtime must preopen. Every mapping goes through interp.wasi.paths.rebase.

A private mount names the files selfhost.wasm needs from it (``files``): APP.wasm's mount is
``copy``: the launch copies APP.wasm alone into a private directory and mounts that, so nothing
else of the app's directory is reachable even by selfhost.wasm; under Wasmer a checkpoint
files' mount carries only its named files into the sandbox and back.
"""
import os
import posixpath
from dataclasses import dataclass, replace

from interp.wasi.paths import rebase
from selfhost.cli import map_paths

from .errors import UsageError

APP_GUEST_DIR = "/.selfhost-app"     # where selfhost.wasm finds APP.wasm outside any --dir
CKPT_GUEST_DIR = "/.selfhost-ckpt"   # where it finds checkpoint files outside any --dir


@dataclass(frozen=True)
class Mount:
    host: str        # absolute host directory
    guest: str       # its name on selfhost.wasm's command line (and the app's, unless private)
    private: bool    # for selfhost.wasm only: never handed to the app
    files: tuple = ()    # private: the only names selfhost.wasm needs in it (() = all of it)
    copy: bool = False   # private, read only: a launch mounts a private copy of ``files``


def parse_dir(spec, must_exist=True):
    """`--dir HOST[::GUEST]` -> (host, guest); GUEST defaults to HOST."""
    host, sep, guest = spec.partition("::")
    if not host:
        raise UsageError("bad --dir %r: HOST is empty" % spec)
    if sep and not guest:
        raise UsageError("bad --dir %r: GUEST is empty" % spec)
    if must_exist and not os.path.isdir(host):
        raise UsageError("--dir %s: no such directory" % host)
    return host, guest or host


class Mounts:
    def __init__(self, dirs=(), private=()):
        """``dirs``: the user's (host, guest) pairs; ``private``: (host, guest) pairs, or
        (host, guest, files, copy) as ``private_pairs`` gives them, for selfhost.wasm only."""
        self.mounts = [Mount(os.path.abspath(os.fspath(h)), g, False) for h, g in dirs]
        for h, g, *rest in private:
            files, copy = (tuple(rest[0]), bool(rest[1])) if rest else ((), False)
            self.mounts.append(Mount(os.path.abspath(os.fspath(h)), g, True, files, copy))
        for m in self.mounts:
            if not os.path.isdir(m.host):
                raise UsageError("--dir %s: not a directory" % m.host)
            if not m.guest:
                raise UsageError("--dir %s: empty guest path" % m.host)

    @classmethod
    def from_specs(cls, specs):
        return cls([parse_dir(s) for s in specs])

    def add_user(self, host, guest):
        """Add a user directory (a restore's default from the snapshot's own run)."""
        if not os.path.isdir(host):
            raise UsageError("--dir %s: not a directory" % host)
        self.mounts.insert(len(self.user), Mount(os.path.abspath(host), guest, False))

    @property
    def user(self):
        return [m for m in self.mounts if not m.private]

    def user_pairs(self):
        return [(m.host, m.guest) for m in self.user]

    def private_pairs(self):
        """The private mounts as (host, guest, files, copy), for ``Mounts(private=...)``."""
        return [(m.host, m.guest, m.files, m.copy) for m in self.mounts if m.private]

    # --- host -> guest ---------------------------------------------------------------------

    def guest_file(self, host_path, option="APP.wasm", reserved=CKPT_GUEST_DIR, copy=False):
        """The guest path of a host file (it need not exist yet; its directory must): inside a
        user directory when it lies in one (the longest wins), else in a private mount of its
        directory (added here, named ``reserved``, ``reserved``1, ..., or one already there
        of the same kind, ``copy`` or not) that names the file."""
        host_path = os.fspath(host_path)
        if not host_path:
            raise UsageError("%s: empty path" % option)
        parent, name = os.path.split(os.path.abspath(host_path))
        if not name:
            raise UsageError("%s %s: not a file path" % (option, host_path))
        if not os.path.isdir(parent):
            raise UsageError("%s %s: directory %s does not exist" % (option, host_path, parent))
        real = os.path.join(os.path.realpath(parent), name)
        guest = rebase(real, [(os.path.realpath(m.host), m.guest) for m in self.user])
        if guest is not None:
            return guest
        for i, m in enumerate(self.mounts):
            if (m.private and m.copy == copy
                    and os.path.realpath(m.host) == os.path.realpath(parent)):
                if m.files and name not in m.files:
                    self.mounts[i] = replace(m, files=m.files + (name,))
                return posixpath.join(m.guest, name)
        taken = {m.guest for m in self.mounts}
        guest_dir, n = reserved, 0
        while guest_dir in taken:
            n += 1
            guest_dir = "%s%d" % (reserved, n)
        self.mounts.append(Mount(os.path.realpath(parent), guest_dir, True, (name,), copy))
        return posixpath.join(guest_dir, name)

    def guest_app(self, app):
        """APP.wasm's guest path: in the user directory that holds it, else in a private mount
        of a copy of APP.wasm alone (``copy``: the app's directory is never mounted)."""
        return self.guest_file(app, "APP.wasm", reserved=APP_GUEST_DIR, copy=True)

    def staged(self, work):
        """These mounts with each ``copy`` mount replaced by a private directory in ``work``
        that holds a copy of its files (a hard link where the file system allows it)."""
        out = Mounts()
        for i, m in enumerate(self.mounts):
            if m.copy:
                stage = os.path.join(work, "stage%d" % i)
                os.mkdir(stage, 0o700)
                for name in m.files:
                    _copy_file(os.path.join(m.host, name), os.path.join(stage, name))
                m = replace(m, host=stage, copy=False)
            out.mounts.append(m)
        return out

    # --- guest -> view ---------------------------------------------------------------------

    def view(self, runtime):
        """The mounts as ``runtime`` (a host.runtimes Runtime) presents them to selfhost.wasm."""
        return View([(m, runtime.dir_view(i, m)) for i, m in enumerate(self.mounts)])


def _copy_file(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        try:
            with open(src, "rb") as fin, open(dst, "xb") as fout:
                while True:
                    chunk = fin.read(1 << 20)
                    if not chunk:
                        break
                    fout.write(chunk)
        except OSError as e:
            raise UsageError("cannot read %s: %s" % (src, e.strerror or e)) from None


class View:
    """The mounts under one runtime: [(Mount, view path)]."""

    def __init__(self, pairs):
        self.pairs = pairs

    def preopens(self):
        """(host, view) for everything the runtime must give selfhost.wasm."""
        return [(m.host, view) for m, view in self.pairs]

    def only_files(self):
        """{view: names} of the private mounts of which selfhost.wasm needs only some files
        (a runtime that copies directories, Wasmer, copies just those)."""
        return {view: list(m.files) for m, view in self.pairs if m.private and m.files}

    def selfhost_dir_args(self):
        """selfhost.wasm's options that hand the user's directories on to the app, and tell
        it where each is on the host (``--dir-origin``: recorded in snapshots)."""
        out = []
        for m, view in self.pairs:
            if not m.private:
                out += ["--dir", "%s::%s" % (view, m.guest)]
                out += ["--dir-origin", "%s::%s" % (m.guest, m.host)]
        return out

    def path(self, guest_path):
        """A guest path -> where selfhost.wasm finds it (unchanged outside every mount)."""
        mapped = rebase(guest_path, [(m.guest, view) for m, view in self.pairs])
        return guest_path if mapped is None else mapped

    def rewrite_argv(self, argv):
        """selfhost.wasm's argv with APP.wasm and the values of PATH_OPTIONS (guest paths)
        rebased onto this view; everything after APP.wasm is the app's and left alone."""
        return map_paths(argv, lambda _option, value: self.path(value))
