"""Run a command so that it dies with the node agent that started it.

    python -m host.cluster.guard COMMAND [ARGS...]

A node agent starts each app as `guard selfhost ...` in a new session. When the agent's process
goes away (its Ray node was killed), the guard is re-parented: it then kills its whole process
group (the selfhost CLI, the runtime process under it and itself), as a crashed machine would
take them down. Otherwise it waits for the command and exits with its code (128+N for a signal).
"""
import os
import signal
import subprocess
import sys

WATCH_SECONDS = 0.2


def main(argv):
    if not argv:
        sys.stderr.write("usage: python -m host.cluster.guard COMMAND [ARGS...]\n")
        return 2
    if os.getpgrp() != os.getpid():
        os.setpgid(0, 0)            # kill only our own group, never the agent's
    parent = os.getppid()
    try:
        child = subprocess.Popen(argv)
    except OSError as e:
        sys.stderr.write("selfhost cluster: cannot start %s: %s\n" % (argv[0], e.strerror or e))
        return 127
    signal.signal(signal.SIGTERM, lambda *_: os.killpg(os.getpgrp(), signal.SIGKILL))
    while True:
        try:
            code = child.wait(timeout=WATCH_SECONDS)
            break
        except subprocess.TimeoutExpired:
            pass
        if os.getppid() != parent:
            os.killpg(os.getpgrp(), signal.SIGKILL)
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
