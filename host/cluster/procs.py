"""Process groups of the apps a node runs: freeze, thaw, kill, and an output pump.

Each app runs in a process group of its own (the guard, the selfhost CLI, the runtime). A
consistent checkpoint freezes the whole group with SIGSTOP while the app's files are packed.
"""
import os
import signal
import threading
import time

READ_SIZE = 65536


def group_members(pgid):
    """The pids whose process group is ``pgid`` and their states (one letter, from /proc)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid):
            out[int(entry)] = fields[0]
    return out


def signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
        return True
    except OSError:
        return False


def _state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"                      # gone


def freeze(pgid, members=None, timeout=5.0):
    """SIGSTOP the group and wait until every member (``members``: the pids, if known) is
    stopped, a zombie or gone. -> bool"""
    if not signal_group(pgid, signal.SIGSTOP):
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = members if members is not None else list(group_members(pgid))
        if all(_state(pid) in "TtZX" for pid in pids):
            return True
        time.sleep(0.0005)
    return False


def thaw(pgid):
    return signal_group(pgid, signal.SIGCONT)


def kill(pgid):
    signal_group(pgid, signal.SIGCONT)
    return signal_group(pgid, signal.SIGKILL)


class OutputPump:
    """Reads a process's stdout and stderr into chunks that carry their absolute offset in the
    app's streams (starting at ``offsets``: 0, or the counts of the snapshot it resumed)."""

    def __init__(self, proc, offsets):
        self.offsets = {1: int(offsets[1]), 2: int(offsets[2])}
        self.pending = {1: [], 2: []}
        self.tail = b""                 # the last bytes of stderr, for error messages
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._pump, args=(proc.stdout, 1), daemon=True),
                        threading.Thread(target=self._pump, args=(proc.stderr, 2), daemon=True)]
        for t in self.threads:
            t.start()

    def _pump(self, stream, fd):
        while True:
            data = os.read(stream.fileno(), READ_SIZE)
            if not data:
                stream.close()
                return
            with self.lock:
                self.pending[fd].append((self.offsets[fd], data))
                self.offsets[fd] += len(data)
                if fd == 2:
                    self.tail = (self.tail + data)[-2000:]

    def take(self, limit=None):
        """[(fd, offset, bytes)] read since the last take; with ``limit`` ({fd: n}) only the
        bytes below offset n of each stream (the rest is dropped)."""
        with self.lock:
            chunks = []
            for fd in (1, 2):
                for off, data in self.pending[fd]:
                    if limit is not None:
                        if off >= limit[fd]:
                            continue
                        data = data[:limit[fd] - off]
                    chunks.append((fd, off, data))
                self.pending[fd] = []
            return chunks

    def reached(self, counts, timeout):
        """Wait until the streams have been read up to ``counts``. -> bool"""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if all(self.offsets[fd] >= counts[fd] for fd in (1, 2)):
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)

    def join(self):
        for t in self.threads:
            t.join()

    def last_line(self):
        lines = self.tail.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""
