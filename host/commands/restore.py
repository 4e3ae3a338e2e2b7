"""`selfhost restore [--runtime R] [--dir HOST[::GUEST]]... [CHECKPOINT OPTIONS] SNAP APP.wasm`:
resume the snapshot SNAP of APP.wasm under a host runtime. Every directory the app had
preopened must be given again with --dir HOST::GUEST (GUEST as before), unless this user's own
run wrote SNAP on this machine: then a directory not given defaults to the one that run had
(host/known_snapshots.py), and says so on stderr.

Exit codes: the app's own (75 = checkpointed again); 1 with one "selfhost: error: ..." line for
a missing/corrupt snapshot or a snapshot of another module; 2 for a bad command line."""
import os

from .. import known_snapshots, launch
from ..errors import Failure
from ..mounts import Mounts, parse_dir
from . import common


def build_parser():
    p = common.parser(
        "selfhost restore",
        "selfhost restore [--runtime RUNTIME] [--dir HOST[::GUEST]]... [--snapshot PATH] "
        "[--checkpoint-trigger PATH] [--checkpoint-after S] [--checkpoint-continue] "
        "[--stats PATH] SNAP APP.wasm",
        "Resume the snapshot SNAP of APP.wasm under a host runtime. Every directory the app had "
        "preopened must be given again with --dir HOST::GUEST (GUEST as before), unless a run "
        "of yours on this machine wrote SNAP: then each defaults to the one it had then.")
    common.runtime_arg(p, "--runtime", default="wasmtime", help="host runtime (default wasmtime)")
    common.dirs_arg(p)
    common.checkpoint_options(p, "where a later checkpoint is written (default: SNAP itself)")
    p.add_argument("snap", metavar="SNAP")
    p.add_argument("app", metavar="APP.wasm")
    return p


def app_mounts(app, dir_specs):
    """(Mounts of the --dir options, APP.wasm's guest path)."""
    mounts = Mounts([parse_dir(spec) for spec in dir_specs])
    if not os.path.isfile(app):
        raise Failure("%s: no such file" % app)
    return mounts, mounts.guest_app(app)


def restore_argv(mounts, snap, guest_app, snapshot=None, stats=None, trigger=None,
                 after=None, keep_running=False):
    """selfhost.wasm's argv to resume snap (host paths in, translated)."""
    tokens = ["--restore", snap]
    if snapshot:
        tokens += ["--snapshot", snapshot]
    if trigger:
        tokens += ["--checkpoint-trigger", trigger]
    if stats:
        tokens += ["--stats", stats]
    tokens = common.translate_options(tokens, mounts)
    if after is not None:
        tokens += ["--checkpoint-after", repr(after)]
    if keep_running:
        tokens.append("--checkpoint-continue")
    return tokens + ["--", guest_app]


def main(tokens):
    ns = common.parse(build_parser(), tokens)
    mounts, guest_app = app_mounts(ns.app, ns.dir)
    common.check_snapshot(ns.snap, ns.app, mounts)
    snapshot = ns.snapshot or ns.snap
    argv = restore_argv(mounts, ns.snap, guest_app, snapshot=snapshot,
                        stats=ns.stats, trigger=ns.checkpoint_trigger, after=ns.checkpoint_after,
                        keep_running=ns.checkpoint_continue)
    before = known_snapshots.file_id(snapshot)
    try:
        return launch.run(ns.runtime, argv, dirs=mounts.user_pairs(),
                          private_dirs=mounts.private_pairs(), stdin=None,
                          capture=False).returncode
    finally:
        common.after_run(snapshot, mounts, before)
