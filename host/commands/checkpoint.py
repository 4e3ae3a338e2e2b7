"""`selfhost checkpoint | restore | migrate | inspect`: the host side of checkpoint/restore.

    selfhost checkpoint TRIGGER --snapshot PATH [--timeout S]
    selfhost restore [--runtime R] [--dir HOST[::GUEST]]... [CHECKPOINT OPTIONS] SNAP APP.wasm
    selfhost migrate --from R1 --to R2 [--after S] [--keep-snapshot PATH] [--dir HOST[::GUEST]]...
                     [--env K=V]... APP.wasm [--] [APP_ARGS...]
    selfhost inspect [--json] [--module APP.wasm] SNAP

The selfhost.wasm side (docs/checkpoint-cli.md) takes its checkpoint paths (--snapshot,
--checkpoint-trigger, --restore, --stats) as selfhost itself sees them. Here they are HOST paths:
for a Wasm runtime the directory of each is preopened for selfhost.wasm only (launch.run's
private_dirs, guest name /.selfhost-ckptN) unless it lies in a --dir already, and the path is
translated; launch.run maps it back for the native runtime and onto the copy for Wasmer.

Wasmer's file system is a copy made at start and written back at exit, so a running Wasmer guest
never sees a trigger file created later: --checkpoint-trigger is refused there (--checkpoint-after
and the app's own magic-path request work on every runtime).

Exit codes: restore/migrate give the app's own code (75 = checkpointed again); 1 with one
"selfhost: error: ..." line for a missing/corrupt snapshot, a snapshot of another module, a
checkpoint that did not come; 2 for a bad command line.
"""
import argparse
import json
import os
import posixpath
import shutil
import sys
import tempfile
import time

from . import cli
from . import launch
from interp.cli import split_argv

EXIT_CHECKPOINTED = 75          # EX_TEMPFAIL: selfhost.wasm stopped after a checkpoint
PRIVATE_GUEST = "/.selfhost-ckpt"
POLL_SECONDS = 0.002


class Failure(Exception):
    """A command failed for a reason the user must fix (exit 1, one line)."""


# --- host paths -> selfhost.wasm paths ---------------------------------------------------------

class PathMap:
    """Gives files named by host paths a path selfhost.wasm can use: inside a --dir directory
    when they lie in one (``dirs``: (host, guest) pairs), else in a private preopen of their
    directory (added to ``private_dirs``)."""

    def __init__(self, dirs, private_dirs=()):
        self.dirs = list(dirs)
        self.private_dirs = list(private_dirs)

    def guest(self, host_path, option):
        host_path = os.fspath(host_path)
        if not host_path:
            raise cli.UsageError("%s: empty path" % option)
        parent, name = os.path.split(os.path.abspath(host_path))
        if not name:
            raise cli.UsageError("%s %s: not a file path" % (option, host_path))
        if not os.path.isdir(parent):
            raise cli.UsageError("%s %s: directory %s does not exist" % (option, host_path, parent))
        parent = os.path.realpath(parent)
        best = None
        for host, guest in self.dirs:
            h = os.path.realpath(host)
            if parent == h or parent.startswith(h.rstrip(os.sep) + os.sep):
                if best is None or len(h) > len(best[0]):
                    rel = os.path.relpath(os.path.join(parent, name), h).replace(os.sep, "/")
                    g = guest.rstrip("/") or "/"
                    best = (h, rel if g in (".", "./") else posixpath.join(g, rel))
        if best is not None:
            return best[1]
        for host, guest in self.private_dirs:
            if os.path.realpath(host) == parent:
                return posixpath.join(guest, name)
        guest = PRIVATE_GUEST + ("" if not self._ckpt_count() else str(self._ckpt_count()))
        self.private_dirs.append((parent, guest))
        return posixpath.join(guest, name)

    def _ckpt_count(self):
        return sum(1 for _h, g in self.private_dirs if g.startswith(PRIVATE_GUEST))


def translate_options(tokens, pathmap, runtime):
    """Rewrite the values of launch.PATH_OPTIONS in selfhost.wasm option tokens from host paths
    to selfhost.wasm paths (both `--opt V` and `--opt=V`)."""
    out = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        name, eq, value = tok.partition("=")
        if name in launch.PATH_OPTIONS:
            if not eq:
                if i + 1 >= len(tokens):
                    raise cli.UsageError("%s needs a value" % name)
                value = tokens[i + 1]
                i += 1
            if name == "--checkpoint-trigger" and runtime == "wasmer":
                raise cli.UsageError(
                    "--checkpoint-trigger does not work with --runtime wasmer: its file system "
                    "is a copy made at start (use --checkpoint-after, or another runtime)")
            out += [name, pathmap.guest(value, name)]
        else:
            out.append(tok)
        i += 1
    return out


def translate_run_options(passthrough, runtime, dirs, private_dirs):
    """For `selfhost run`: -> (passthrough with guest paths, private_dirs extended)."""
    pathmap = PathMap(dirs, private_dirs)
    tokens = translate_options(passthrough, pathmap, runtime)
    return tokens, pathmap.private_dirs


# --- snapshots ---------------------------------------------------------------------------------

def read_snapshot_file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise Failure("snapshot %s: no such file" % path) from None
    except IsADirectoryError:
        raise Failure("snapshot %s: is a directory" % path) from None
    except OSError as e:
        raise Failure("cannot read snapshot %s: %s" % (path, e.strerror or e)) from None


def check_snapshot(snap_path, app_path, dirs=()):
    """Refuse, with one clear line, a snapshot that selfhost.wasm could not resume: unreadable,
    damaged (both checksums named), of another module (both module hashes named), or naming a
    preopened directory that no --dir gives. Returns the decoded Snapshot."""
    import hashlib
    from checkpoint import format as fmt
    from checkpoint import SnapshotError
    data = read_snapshot_file(snap_path)
    try:
        layout = fmt.read_layout(data)
    except SnapshotError as e:
        raise Failure("snapshot %s: %s" % (snap_path, e)) from None
    if not layout["checksum_ok"]:
        end = len(data) - fmt.TRAILER_SIZE
        raise Failure("snapshot %s is corrupt: its checksum is sha256 %s but its contents hash "
                      "to sha256 %s" % (snap_path, data[end:].hex(),
                                        hashlib.sha256(data[:end]).hexdigest()))
    app_sha = launch.file_sha256(app_path)
    snap_sha = layout["module_sha256"].hex()
    if snap_sha != app_sha:
        raise Failure("snapshot %s was taken of another module: the snapshot's module is sha256 "
                      "%s, %s is sha256 %s" % (snap_path, snap_sha, app_path, app_sha))
    try:
        snap = fmt.decode(data)
    except SnapshotError as e:
        raise Failure("snapshot %s: %s" % (snap_path, e)) from None
    given = {posixpath.normpath(g) for _h, g in dirs}
    preopens = (snap.wasi or {}).get("preopens") or []
    for entry in preopens:
        guest = entry[1] if isinstance(entry, (list, tuple)) and len(entry) == 2 else None
        if isinstance(guest, str) and posixpath.normpath(guest) not in given:
            raise Failure("the snapshot's app has the directory %s preopened: give its host "
                          "directory with --dir HOST::%s" % (guest, guest))
    return snap


def memory_bytes(snap):
    from checkpoint import PAGE_SIZE
    return sum(m.pages * PAGE_SIZE for m in snap.memories)


def read_stats(path):
    """The --stats JSON of a phase, or {} when it is missing or unreadable."""
    try:
        with open(path) as f:
            stats = json.load(f)
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def stats_value(stats, section, *keys):
    """stats[section][key] for the first key present (numbers only), else None. Also accepts
    the keys at the top level, or a list of sections (the last one wins)."""
    part = stats.get(section, stats) if isinstance(stats, dict) else None
    if isinstance(part, list):
        part = part[-1] if part else None
    if not isinstance(part, dict):
        return None
    for key in keys:
        v = part.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
    return None


def written_at(stats):
    """Wall-clock time the (last) snapshot of a phase was written, from its --stats JSON."""
    return stats_value(stats, "checkpoint", "checkpointed_at", "written_at")


def resumed_at(stats):
    """Wall-clock time a restored phase resumed the app, from its --stats JSON."""
    return stats_value(stats, "restore", "resumed_at")


# --- argument parsing --------------------------------------------------------------------------

def _parser(prog, usage, description):
    return cli._Parser(prog=prog, usage=usage, description=description, allow_abbrev=False)


def _runtime_arg(parser, *names, help, **kwargs):
    parser.add_argument(*names, choices=launch.RUNTIMES, metavar="RUNTIME",
                        help=help + " (%s)" % ", ".join(launch.RUNTIMES), **kwargs)


def _positive(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected seconds, got %r" % text) from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError("expected a positive number of seconds, got %r" % text)
    return v


def _dirs_arg(parser):
    parser.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[],
                        help="host directory HOST, known to the app as GUEST (default: HOST)")


def build_checkpoint_parser():
    p = _parser("selfhost checkpoint", "selfhost checkpoint TRIGGER --snapshot PATH [--timeout S]",
                "Ask a running `selfhost run --checkpoint-trigger TRIGGER --snapshot PATH` for a "
                "checkpoint: create TRIGGER, wait until PATH is (re)written and TRIGGER is gone, "
                "print how long it took.")
    p.add_argument("trigger", metavar="TRIGGER")
    p.add_argument("--snapshot", metavar="PATH", required=True,
                   help="the snapshot file the run writes (its --snapshot)")
    p.add_argument("--timeout", metavar="S", type=_positive, default=60.0,
                   help="give up after S seconds (default 60)")
    return p


def _checkpoint_options(p, snapshot_help):
    p.add_argument("--snapshot", metavar="PATH", help=snapshot_help)
    p.add_argument("--checkpoint-trigger", metavar="PATH",
                   help="checkpoint when PATH appears (see `selfhost checkpoint`)")
    p.add_argument("--checkpoint-after", metavar="S", type=_positive,
                   help="checkpoint once, S seconds after resuming")
    p.add_argument("--checkpoint-continue", action="store_true",
                   help="keep running after a checkpoint (default: stop with exit code 75)")
    p.add_argument("--stats", metavar="PATH", help="write JSON timings to PATH at exit")


def build_restore_parser():
    p = _parser("selfhost restore",
                "selfhost restore [--runtime RUNTIME] [--dir HOST[::GUEST]]... [--snapshot PATH] "
                "[--checkpoint-trigger PATH] [--checkpoint-after S] [--checkpoint-continue] "
                "[--stats PATH] SNAP APP.wasm",
                "Resume the snapshot SNAP of APP.wasm under a host runtime. Every directory the "
                "app had preopened must be given again with --dir HOST::GUEST (GUEST as before).")
    _runtime_arg(p, "--runtime", default="wasmtime", help="host runtime (default wasmtime)")
    _dirs_arg(p)
    _checkpoint_options(p, "where a later checkpoint is written (default: SNAP itself)")
    p.add_argument("snap", metavar="SNAP")
    p.add_argument("app", metavar="APP.wasm")
    return p


_MIGRATE_VALUES = ("--from", "--to", "--after", "--keep-snapshot", "--dir", "--env")


def build_migrate_parser():
    p = _parser("selfhost migrate",
                "selfhost migrate --from RUNTIME --to RUNTIME [--after S] [--keep-snapshot PATH] "
                "[--dir HOST[::GUEST]]... [--env K=V]... APP.wasm [--] [APP_ARGS...]",
                "Run APP.wasm on one runtime until it is checkpointed (after --after seconds, or "
                "when the app asks through the magic path .selfhost-checkpoint), then resume it "
                "on another. The app's stdout/stderr stream through both phases; the downtime, "
                "snapshot size and phase times go to stderr.")
    _runtime_arg(p, "--from", dest="source", required=True, help="runtime of the first phase")
    _runtime_arg(p, "--to", dest="target", required=True, help="runtime it resumes on")
    p.add_argument("--after", metavar="S", type=_positive,
                   help="checkpoint S seconds into the run (default: when the app asks)")
    p.add_argument("--keep-snapshot", metavar="PATH", help="keep a copy of the snapshot at PATH")
    _dirs_arg(p)
    p.add_argument("--env", metavar="K=V", action="append", default=[],
                   help="set an environment variable for the app")
    return p


def split_migrate_args(tokens):
    """-> (option tokens, APP.wasm or None, app args), wasmtime-style: options, then APP.wasm,
    then everything for the app (an optional `--` before APP.wasm or right after it)."""
    return split_argv(tokens, _MIGRATE_VALUES)


def build_inspect_parser():
    p = _parser("selfhost inspect", "selfhost inspect [--json] [--module APP.wasm] SNAP",
                "Show what a snapshot holds: header, checksum, frames, memories, open files.")
    p.add_argument("snap", metavar="SNAP")
    p.add_argument("--json", action="store_true", help="print the view as JSON")
    p.add_argument("--module", metavar="APP.wasm",
                   help="name functions from APP.wasm's name section and check that the "
                        "snapshot was taken of it")
    return p


def _parse(parser, tokens):
    if any(t in ("-h", "--help") for t in tokens):
        parser.print_help()
        raise SystemExit(0)
    return parser.parse_args(tokens)


# --- commands ----------------------------------------------------------------------------------

def _say(message):
    sys.stdout.flush()
    sys.stderr.write("selfhost: %s\n" % message)
    sys.stderr.flush()


def _file_id(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def cmd_checkpoint(tokens):
    ns = _parse(build_checkpoint_parser(), tokens)
    trigger, snapshot = ns.trigger, ns.snapshot
    if not os.path.isdir(os.path.dirname(os.path.abspath(trigger))):
        raise Failure("trigger %s: its directory does not exist" % trigger)
    before = _file_id(snapshot)
    start = time.perf_counter()
    try:
        fd = os.open(trigger, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise Failure("trigger %s already exists: a checkpoint request is pending" % trigger) \
            from None
    except OSError as e:
        raise Failure("cannot create trigger %s: %s" % (trigger, e.strerror or e)) from None
    os.close(fd)
    written = None
    deadline = start + ns.timeout
    while True:
        now = time.perf_counter()
        if written is None:
            current = _file_id(snapshot)
            if current is not None and current != before:
                written = now
        gone = not os.path.lexists(trigger)
        if written is not None and gone:
            break
        if now > deadline:
            if not gone:
                try:
                    os.unlink(trigger)
                except OSError:
                    pass
                raise Failure("no checkpoint within %g s: is a `selfhost run --checkpoint-trigger "
                              "%s` running (not under wasmer)?" % (ns.timeout, trigger))
            raise Failure("the run took the trigger %s but did not write %s within %g s: is it "
                          "the run's --snapshot?" % (trigger, snapshot, ns.timeout))
        time.sleep(POLL_SECONDS)
    size = _file_id(snapshot)[2]
    print("checkpoint written to %s (%d bytes) in %.3f s" % (snapshot, size, written - start))
    return 0


def _app_and_dirs(app, dir_specs):
    dirs = [cli._parse_dir(spec) for spec in dir_specs]
    if not os.path.isfile(app):
        raise Failure("%s: no such file" % app)
    guest_app, private_dirs = cli._map_app(app, dirs)
    return dirs, guest_app, private_dirs


def restore_argv(pathmap, runtime, snap, guest_app, snapshot=None, stats=None, trigger=None,
                 after=None, keep_running=False):
    """selfhost.wasm's argv to resume snap (host paths in, translated)."""
    tokens = ["--restore", snap]
    if snapshot:
        tokens += ["--snapshot", snapshot]
    if trigger:
        tokens += ["--checkpoint-trigger", trigger]
    if stats:
        tokens += ["--stats", stats]
    tokens = translate_options(tokens, pathmap, runtime)
    if after is not None:
        tokens += ["--checkpoint-after", repr(after)]
    if keep_running:
        tokens.append("--checkpoint-continue")
    return tokens + ["--", guest_app]


def cmd_restore(tokens):
    ns = _parse(build_restore_parser(), tokens)
    dirs, guest_app, private_dirs = _app_and_dirs(ns.app, ns.dir)
    check_snapshot(ns.snap, ns.app, dirs)
    pathmap = PathMap(dirs, private_dirs)
    argv = restore_argv(pathmap, ns.runtime, ns.snap, guest_app,
                        snapshot=ns.snapshot or ns.snap, stats=ns.stats,
                        trigger=ns.checkpoint_trigger, after=ns.checkpoint_after,
                        keep_running=ns.checkpoint_continue)
    return launch.run(ns.runtime, argv, dirs=dirs, private_dirs=pathmap.private_dirs,
                      stdin=None, capture=False).returncode


def _exit_text(rc):
    return "killed by signal %d" % -rc if rc < 0 else "exit code %d" % rc


def _fmt_bytes(n):
    return "%d bytes (%.2f MiB)" % (n, n / 1048576.0)


def cmd_migrate(tokens):
    options, app, app_args = split_migrate_args(tokens)
    parser = build_migrate_parser()
    ns = _parse(parser, options)
    if app is None:
        raise cli.UsageError("missing APP.wasm")
    for spec in ns.env:
        if "=" not in spec or spec.startswith("="):
            raise cli.UsageError("bad --env %r: expected K=V" % spec)
    if ns.keep_snapshot and not os.path.isdir(os.path.dirname(os.path.abspath(ns.keep_snapshot))):
        raise cli.UsageError("--keep-snapshot %s: its directory does not exist" % ns.keep_snapshot)
    dirs, guest_app, private_dirs = _app_and_dirs(app, ns.dir)
    work = tempfile.mkdtemp(prefix="selfhost-migrate-")
    try:
        return _migrate(ns, app, app_args, dirs, guest_app, private_dirs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _migrate(ns, app, app_args, dirs, guest_app, private_dirs, work):
    snap = os.path.join(work, "app.snap")
    stats1 = os.path.join(work, "phase1.json")
    stats2 = os.path.join(work, "phase2.json")
    later = os.path.join(work, "later.snap")
    pathmap = PathMap(dirs, private_dirs)

    argv = translate_options(["--snapshot", snap, "--stats", stats1], pathmap, ns.source)
    if ns.after is not None:
        argv += ["--checkpoint-after", repr(ns.after)]
    for spec in ns.env:
        argv += ["--env", spec]
    argv += ["--", guest_app] + list(app_args)
    t0 = time.time()
    rc = launch.run(ns.source, argv, dirs=dirs, private_dirs=pathmap.private_dirs,
                    stdin=None, capture=False).returncode
    t1 = time.time()
    if rc != EXIT_CHECKPOINTED:
        _say("migrate: the app finished on %s (%s, %.3f s) before any checkpoint; "
             "nothing to migrate" % (ns.source, _exit_text(rc), t1 - t0))
        return 128 - rc if rc < 0 else rc
    if not os.path.isfile(snap):
        raise Failure("%s exited with code 75 but wrote no snapshot" % ns.source)
    size = os.path.getsize(snap)
    if ns.keep_snapshot:
        shutil.copyfile(snap, ns.keep_snapshot)
    state = check_snapshot(snap, app, dirs)

    # The app may ask again later (magic path): keep running then, into a scratch snapshot.
    argv = restore_argv(pathmap, ns.target, snap, guest_app, snapshot=later, stats=stats2,
                        keep_running=True)
    t2 = time.time()
    rc = launch.run(ns.target, argv, dirs=dirs, private_dirs=pathmap.private_dirs,
                    stdin=None, capture=False).returncode
    t3 = time.time()

    s1, s2 = read_stats(stats1), read_stats(stats2)
    w, r = written_at(s1), resumed_at(s2)
    if w is not None and r is not None:
        downtime = "downtime %.3f s (snapshot written -> resumed)" % (r - w)
    else:
        downtime = "downtime <= %.3f s (no --stats timestamps; %s exit -> %s exit)" % (
            t3 - t1, ns.source, ns.target)
    _say("migrate %s -> %s: %s; snapshot %s for %s of memory; phase 1 (%s) %.3f s, "
         "phase 2 (%s) %.3f s; %s"
         % (ns.source, ns.target, downtime, _fmt_bytes(size), _fmt_bytes(memory_bytes(state)),
            ns.source, t1 - t0, ns.target, t3 - t2, _exit_text(rc)))
    return 128 - rc if rc < 0 else rc


def cmd_inspect(tokens):
    ns = _parse(build_inspect_parser(), tokens)
    from checkpoint import inspect as _inspect
    data = read_snapshot_file(ns.snap)
    names = {}
    module_sha = None
    if ns.module:
        try:
            with open(ns.module, "rb") as f:
                module_data = f.read()
        except OSError as e:
            raise Failure("cannot read %s: %s" % (ns.module, e.strerror or e)) from None
        import hashlib
        module_sha = hashlib.sha256(module_data).hexdigest()
        try:
            from interp.decode import decode_module
            names = dict(decode_module(module_data).func_names or {})
        except Exception as e:       # a broken module: inspect the snapshot anyway
            _say("warning: %s: cannot read function names: %s" % (ns.module, e))
    view = _inspect.inspect(data, names)
    if module_sha is not None and "module_sha256" in view:
        view["module_matches"] = view["module_sha256"] == module_sha
        view["module_file"] = ns.module
        view["module_file_sha256"] = module_sha
    if ns.json:
        print(json.dumps(view, indent=1, sort_keys=True, default=str))
    else:
        print(_inspect.render_text(view))
        if module_sha is not None and "module_matches" in view:
            print("module %s: %s" % (ns.module, "matches" if view["module_matches"] else
                                     "MISMATCH (sha256 %s)" % module_sha))
    ok = view.get("ok") and view.get("checksum_ok") and view.get("module_matches", True)
    return 0 if ok else 1


COMMANDS = {
    "checkpoint": (cmd_checkpoint, "ask a running app for a checkpoint (trigger file)"),
    "restore": (cmd_restore, "resume a snapshot under a host runtime"),
    "migrate": (cmd_migrate, "run an app on one runtime and move it to another mid-run"),
    "inspect": (cmd_inspect, "show what a snapshot holds"),
}


def main(command, tokens):
    """Run one of COMMANDS; Failure -> one error line and exit 1 (usage errors go to cli)."""
    try:
        return COMMANDS[command][0](tokens)
    except SystemExit as e:
        return e.code or 0
    except Failure as e:
        cli._err(str(e))
        return cli.EXIT_ERROR
