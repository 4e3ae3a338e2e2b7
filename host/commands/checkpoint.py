"""`selfhost checkpoint TRIGGER --snapshot PATH [--timeout S]`: ask a running
`selfhost run --checkpoint-trigger TRIGGER --snapshot PATH` for a checkpoint: create TRIGGER,
wait until PATH is (re)written and TRIGGER is gone, print how long it took.

Wasmer's file system is a copy made at start, so a running Wasmer guest never sees a trigger
file created later (host/runtimes/wasmer.py refuses --checkpoint-trigger there)."""
import os
import time

from ..errors import Failure
from . import common

POLL_SECONDS = 0.002


def build_parser():
    p = common.parser("selfhost checkpoint",
                      "selfhost checkpoint TRIGGER --snapshot PATH [--timeout S]", __doc__)
    p.add_argument("trigger", metavar="TRIGGER")
    p.add_argument("--snapshot", metavar="PATH", required=True,
                   help="the snapshot file the run writes (its --snapshot)")
    p.add_argument("--timeout", metavar="S", type=common.seconds, default=60.0,
                   help="give up after S seconds (default 60)")
    return p


def _file_id(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def main(tokens):
    ns = common.parse(build_parser(), tokens)
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
