"""What several commands share: argument parsing pieces, checkpoint path options, snapshot
checks, the --stats JSON of a phase."""
import argparse
import hashlib
import json
import math
import os

from checkpoint import SnapshotError, store, wasi_state
from checkpoint import check as check_snapshot_bytes
from checkpoint.format import TRAILER_SIZE
from selfhost.cli import PATH_OPTIONS

from .. import known_snapshots, launch
from ..errors import Failure, UsageError, say
from ..runtimes import NAMES as RUNTIME_NAMES


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parser(prog, usage, description, epilog=None):
    return Parser(prog=prog, usage=usage, description=description, epilog=epilog,
                  allow_abbrev=False)


def parse(p, tokens):
    if any(t in ("-h", "--help") for t in tokens):
        p.print_help()
        raise SystemExit(0)
    return p.parse_args(tokens)


def runtime_arg(p, *names, help, **kwargs):
    p.add_argument(*names, choices=RUNTIME_NAMES, metavar="RUNTIME",
                   help=help + " (%s)" % ", ".join(RUNTIME_NAMES), **kwargs)


def dirs_arg(p):
    p.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[],
                   help="host directory HOST, known to the app as GUEST (default: HOST)")


def env_arg(p):
    p.add_argument("--env", metavar="K=V", action="append", default=[],
                   help="set an environment variable for the app")


def check_env(specs):
    for spec in specs:
        if "=" not in spec or spec.startswith("="):
            raise UsageError("bad --env %r: expected K=V" % spec)


MAX_SECONDS = 1e9


def seconds(text):
    """An argparse type: a positive, finite number of seconds (at most MAX_SECONDS)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected seconds, got %.40r" % text) from None
    if not math.isfinite(v) or not 0 < v <= MAX_SECONDS:
        raise argparse.ArgumentTypeError("expected a positive number of seconds up to %g, "
                                         "got %.40r" % (MAX_SECONDS, text))
    return v


def checkpoint_options(p, snapshot_help):
    p.add_argument("--snapshot", metavar="PATH", help=snapshot_help)
    p.add_argument("--checkpoint-trigger", metavar="PATH",
                   help="checkpoint when PATH appears (see `selfhost checkpoint`)")
    p.add_argument("--checkpoint-after", metavar="S", type=seconds,
                   help="checkpoint once, S seconds after resuming")
    p.add_argument("--checkpoint-continue", action="store_true",
                   help="keep running after a checkpoint (default: stop with exit code 75)")
    p.add_argument("--stats", metavar="PATH", help="write JSON timings to PATH at exit")


def translate_options(tokens, mounts):
    """Rewrite the values of selfhost's path options in option tokens from host paths to guest
    paths (both `--opt V` and `--opt=V`), giving their directories private mounts as needed."""
    out = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        name, eq, value = tok.partition("=")
        if name in PATH_OPTIONS:
            if not eq:
                if i + 1 >= len(tokens):
                    raise UsageError("%s needs a value" % name)
                value = tokens[i + 1]
                i += 1
            out += [name, mounts.guest_file(value, name)]
        else:
            out.append(tok)
        i += 1
    return out


def after_run(snapshot, mounts, before):
    """What a command does when its run ended, however it ended: note the snapshot the run
    wrote (host/known_snapshots.py), and remove the temp file a runner killed mid-write left
    beside it (checkpoint/store.py names it; the next write would remove it too)."""
    if not snapshot:
        return
    known_snapshots.remember(snapshot, mounts.user_pairs(), before)
    try:
        os.unlink(store.temp_path(snapshot))
    except OSError:
        pass


def option_value(tokens, name):
    """The value of the last ``name V`` / ``name=V`` in option tokens, or None."""
    value = None
    for i, tok in enumerate(tokens):
        if tok == name and i + 1 < len(tokens):
            value = tokens[i + 1]
        elif tok.startswith(name + "="):
            value = tok[len(name) + 1:]
    return value


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


def check_snapshot(snap_path, app_path, mounts):
    """Refuse, with one clear line, a snapshot that selfhost.wasm could not resume: unreadable,
    damaged (both checksums named), of another module (both module hashes named), or naming a
    preopened directory that no --dir gives and that cannot default to where it was when
    the snapshot was taken (``_default_dirs``: then it is added to ``mounts``). Reads only
    the header, the JSON sections and the memories' sizes (checkpoint.check). Returns its
    summary."""
    data = read_snapshot_file(snap_path)
    app_sha = launch.file_sha256(app_path)
    try:
        summary = check_snapshot_bytes(data)
    except SnapshotError as e:
        if "checksum" in str(e):
            end = len(data) - TRAILER_SIZE
            raise Failure("snapshot %s is corrupt: its checksum is sha256 %s but its contents "
                          "hash to sha256 %s" % (snap_path, data[end:].hex(),
                                                 hashlib.sha256(data[:end]).hexdigest())) from None
        raise Failure("snapshot %s: %s" % (snap_path, e)) from None
    snap_sha = summary["module_sha256"].hex()
    if snap_sha != app_sha:
        raise Failure("snapshot %s was taken of another module: the snapshot's module is sha256 "
                      "%s, %s is sha256 %s" % (snap_path, snap_sha, app_path, app_sha))
    try:
        recorded = wasi_state.recorded_preopens(summary["wasi"])
    except SnapshotError as e:
        raise Failure("snapshot %s: %s" % (snap_path, e)) from None
    given = {_norm(m.guest) for m in mounts.user}
    missing = [(host, guest) for host, guest in recorded if _norm(guest) not in given]
    if missing:
        _default_dirs(missing, known_snapshots.known_dirs(data), mounts)
    return summary


def _norm(guest):
    return guest.rstrip("/") or "/"


def _default_dirs(missing, known, mounts):
    """Give each directory the snapshot's app had and no --dir names its recorded host
    directory, when this user's own run wrote the snapshot with that very directory
    (host/known_snapshots.py) and it still exists; else refuse with the --dir to pass."""
    for host, guest in missing:
        if known is None:
            raise Failure("the snapshot's app has the directory %s preopened: give its host "
                          "directory with --dir HOST::%s (the snapshot says it was %s, but "
                          "no run of yours on this machine wrote this snapshot, so that is "
                          "not taken on its word)" % (guest, guest, host))
        if (host, guest) not in known:
            raise Failure("the snapshot's app has the directory %s preopened: give its host "
                          "directory with --dir HOST::%s" % (guest, guest))
        if not os.path.isdir(host):
            raise Failure("the snapshot's app has the directory %s preopened, which was %s "
                          "when it was taken; that directory is gone: give one with --dir "
                          "HOST::%s" % (guest, host, guest))
        mounts.add_user(host, guest)
        say("restore: giving the app %s as %s, as when the snapshot was taken (pass --dir "
            "to choose another)" % (host, guest))


def memory_bytes(summary):
    return sum(summary["memory_pages"]) * 65536


# --- the --stats JSON of a phase -----------------------------------------------------------------

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


def exit_text(rc):
    return "killed by signal %d" % -rc if rc < 0 else "exit code %d" % rc


def fmt_bytes(n):
    return "%d bytes (%.2f MiB)" % (n, n / 1048576.0)
