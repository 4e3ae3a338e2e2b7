"""`selfhost migrate --from R1 --to R2 [--after S] [--keep-snapshot PATH] [--no-precopy] [--dir HOST[::GUEST]]...
[--env K=V]... APP.wasm [--] [APP_ARGS...]`: run APP.wasm on one runtime until it is
checkpointed (after --after seconds, or when the app asks through the magic path
.selfhost-checkpoint), then resume it on another. The app's stdout/stderr stream through both
phases; the downtime, snapshot size and phase times go to stderr.

Pre-copy: the target host starts together with the source and gets everything but the
snapshot done (host start, selfhost.wasm's start, reading, decoding and validating APP.wasm),
then waits for the snapshot (selfhost's --wait-for-snapshot), so that the downtime is the
snapshot's write, its reading and the state's restore. Not onto Wasmer (its files are a copy
made at start: the snapshot would never appear there), nor with --no-precopy."""
import contextlib
import os
import shutil
import tempfile
import time

from selfhost import exit_codes
from selfhost.cli import split_argv

from .. import known_snapshots, launch, runtimes
from ..errors import Failure, UsageError, say
from . import common
from .restore import app_mounts, restore_argv

_VALUES = ("--from", "--to", "--after", "--keep-snapshot", "--dir", "--env")


def build_parser():
    p = common.parser(
        "selfhost migrate",
        "selfhost migrate --from RUNTIME --to RUNTIME [--after S] [--keep-snapshot PATH] "
        "[--no-precopy] "
        "[--dir HOST[::GUEST]]... [--env K=V]... APP.wasm [--] [APP_ARGS...]",
        "Run APP.wasm on one runtime until it is checkpointed (after --after seconds, or when "
        "the app asks through the magic path .selfhost-checkpoint), then resume it on another. "
        "The app's stdout/stderr stream through both phases; the downtime, snapshot size and "
        "phase times go to stderr.")
    common.runtime_arg(p, "--from", dest="source", required=True, help="runtime of the first phase")
    common.runtime_arg(p, "--to", dest="target", required=True, help="runtime it resumes on")
    p.add_argument("--after", metavar="S", type=common.seconds,
                   help="checkpoint S seconds into the run (default: when the app asks)")
    p.add_argument("--keep-snapshot", metavar="PATH", help="keep a copy of the snapshot at PATH")
    p.add_argument("--no-precopy", action="store_true",
                   help="start the target only after the checkpoint (default: it starts with "
                        "the source and waits, ready, for the snapshot; not on Wasmer, whose "
                        "files are a copy made at start)")
    common.dirs_arg(p)
    common.env_arg(p)
    return p


def split_migrate_args(tokens):
    """-> (option tokens, APP.wasm or None, app args), wasmtime-style: options, then APP.wasm,
    then everything for the app (an optional `--` before APP.wasm or right after it)."""
    return split_argv(tokens, _VALUES)


def main(tokens):
    options, app, app_args = split_migrate_args(tokens)
    ns = common.parse(build_parser(), options)
    if app is None:
        raise UsageError("missing APP.wasm")
    common.check_env(ns.env)
    if ns.keep_snapshot and not os.path.isdir(os.path.dirname(os.path.abspath(ns.keep_snapshot))):
        raise UsageError("--keep-snapshot %s: its directory does not exist" % ns.keep_snapshot)
    mounts, guest_app = app_mounts(app, ns.dir)
    work = tempfile.mkdtemp(prefix="selfhost-migrate-")
    try:
        return _migrate(ns, app, app_args, mounts, guest_app, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _migrate(ns, app, app_args, mounts, guest_app, work):
    snap = os.path.join(work, "app.snap")
    stats1 = os.path.join(work, "phase1.json")
    stats2 = os.path.join(work, "phase2.json")
    later = os.path.join(work, "later.snap")

    argv = common.translate_options(["--snapshot", snap, "--stats", stats1], mounts)
    if ns.after is not None:
        argv += ["--checkpoint-after", repr(ns.after)]
    for spec in ns.env:
        argv += ["--env", spec]
    argv += ["--argv0", app, "--", guest_app] + list(app_args)
    # The app may ask again later (magic path): keep running then, into a scratch snapshot.
    argv2 = restore_argv(mounts, snap, guest_app, snapshot=later, stats=stats2,
                         keep_running=True)
    precopy = not ns.no_precopy and runtimes.get(ns.target).live_files
    with contextlib.ExitStack() as stack:
        target = None
        if precopy:   # the target loads and prepares the app while the source runs
            rt2, cmd2 = stack.enter_context(launch.prepared(
                ns.target, ["--wait-for-snapshot"] + argv2, dirs=mounts.user_pairs(),
                private_dirs=mounts.private_pairs()))
            target = launch.start(cmd2)
            stack.callback(_stop, target)
        t0 = time.time()
        rc = launch.run(ns.source, argv, dirs=mounts.user_pairs(),
                        private_dirs=mounts.private_pairs(), stdin=None,
                        capture=False).returncode
        t1 = time.time()
        if rc != exit_codes.CHECKPOINTED:
            say("migrate: the app finished on %s (%s, %.3f s) before any checkpoint; "
                "nothing to migrate" % (ns.source, common.exit_text(rc), t1 - t0))
            return rc
        if not os.path.isfile(snap):
            raise Failure("%s exited with code %d but wrote no snapshot"
                          % (ns.source, exit_codes.CHECKPOINTED))
        size = os.path.getsize(snap)
        if ns.keep_snapshot:
            shutil.copyfile(snap, ns.keep_snapshot)
            known_snapshots.remember(ns.keep_snapshot, mounts.user_pairs())
        summary = common.check_snapshot(snap, app, mounts)
        if target is not None:
            rc = rt2.exit_code(target.wait())
        else:
            rc = launch.run(ns.target, argv2, dirs=mounts.user_pairs(),
                            private_dirs=mounts.private_pairs(), stdin=None,
                            capture=False).returncode
        t3 = time.time()

    s1, s2 = common.read_stats(stats1), common.read_stats(stats2)
    w, r = common.written_at(s1), common.resumed_at(s2)
    if w is not None and r is not None:
        downtime = "downtime %.3f s (snapshot written -> resumed%s)" % (
            r - w, ", target prepared during the run" if precopy else "")
    else:
        downtime = "downtime <= %.3f s (no --stats timestamps; %s exit -> %s exit)" % (
            t3 - t1, ns.source, ns.target)
    say("migrate %s -> %s: %s; snapshot %s for %s of memory; phase 1 (%s) %.3f s, "
        "phase 2 (%s) %.3f s after it; %s"
        % (ns.source, ns.target, downtime, common.fmt_bytes(size),
           common.fmt_bytes(common.memory_bytes(summary)), ns.source, t1 - t0, ns.target,
           t3 - t1, common.exit_text(rc)))
    return rc


def _stop(proc):
    """The pre-started target, when no snapshot came (or migrate itself failed): it only
    waited, so killing it loses nothing."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
