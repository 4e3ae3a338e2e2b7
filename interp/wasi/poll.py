"""poll_oneoff as wasmtime 49 answers it.

- No subscriptions: EINVAL. One relative clock (of any clock id): sleep, one event with
  nbytes 1.
- Otherwise every subscription is checked first, and one bad one fails the whole call: an
  unknown tag, clock id or flag: EINVAL; a clock other than realtime/monotonic: EINVAL; an fd
  read on anything but stdin or a file, an fd write on anything but stdout, stderr or a file:
  EBADF.
- Readiness is real and comes in wasmtime's order: writes (always ready) and expired clocks
  are reported at once; only when none is, reads count: a file read is ready at once, stdin
  when it has data or is at its end (the host is asked, with the earliest clock as timeout).
  An absolute realtime clock is due at once (wasmtime converts it to a relative one that
  overflows).
- Events: clocks nbytes 0; fd events nbytes 1, and a file read at or past its end carries
  FD_READWRITE_HANGUP.
"""
import time

from . import hostfs
from .abi import (CLOCK_MONOTONIC, CLOCK_REALTIME, EBADF, EINVAL, ESUCCESS,
                  EVENT_FD_READWRITE_HANGUP, EVENTTYPE_CLOCK, EVENTTYPE_FD_READ,
                  EVENTTYPE_FD_WRITE, SUBSCRIPTION_CLOCK_ABSTIME, SUBSCRIPTION_SIZE, WasiError,
                  _EVENT, _SUB_CLOCK, _SUB_HEAD, _U32)


def _stdin_ready(stream, timeout):
    """Does stdin have data (or its end) within ``timeout`` seconds (None: no limit)? A stream
    without an OS fd is always ready."""
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        return True
    try:
        import select
        readable, _w, _x = select.select([fd], [], [], timeout)
        return bool(readable)
    except (ImportError, OSError, ValueError):
        if timeout:
            time.sleep(timeout)
        return True


def _sleep_ns(ns):
    """Sleep until the monotonic clock has moved ``ns`` on: a host's sleep may end a little
    early by the clock the app reads (Node's uvwasi under load), and a clock event must not."""
    end = time.monotonic_ns() + ns
    left = ns
    while left > 0:
        time.sleep(left / 1e9)
        left = end - time.monotonic_ns()


class PollCalls:
    """poll_oneoff (a mixin of core.WASI)."""

    def poll_oneoff(self, in_ptr, out_ptr, nsubs, nevents_ptr):
        if nsubs == 0:
            return EINVAL
        raw = self._read(in_ptr, SUBSCRIPTION_SIZE * nsubs, 8)
        subs = [self._subscription(raw, SUBSCRIPTION_SIZE * i) for i in range(nsubs)]
        if nsubs == 1 and subs[0][1] == EVENTTYPE_CLOCK and not subs[0][4]:
            userdata, _tag, _id, timeout, _abs = subs[0]
            if timeout:
                _sleep_ns(timeout)
            self._write(out_ptr, _EVENT.pack(userdata, ESUCCESS, EVENTTYPE_CLOCK, 1, 0), 8)
            self._put_u32(nevents_ptr, 1)
            return ESUCCESS
        now = time.monotonic_ns()
        deadlines = {}               # sub index -> monotonic deadline
        entries = {}                 # sub index -> fd entry
        for i, (userdata, tag, clock_id, timeout, absolute) in enumerate(subs):
            if tag == EVENTTYPE_CLOCK:
                if clock_id == CLOCK_MONOTONIC:
                    deadlines[i] = timeout if absolute else now + timeout
                elif clock_id == CLOCK_REALTIME:
                    deadlines[i] = now if absolute else now + timeout
                else:
                    return EINVAL
            else:
                entries[i] = self._poll_fd(clock_id, tag)
        ready = self._ready(subs, deadlines, entries)
        out = []
        for i in ready:
            userdata, tag = subs[i][0], subs[i][1]
            if tag == EVENTTYPE_CLOCK:
                out.append(_EVENT.pack(userdata, ESUCCESS, tag, 0, 0))
                continue
            flags = 0
            entry = entries[i]
            if tag == EVENTTYPE_FD_READ and entry.kind == "file":
                if hostfs.fstat(entry.handle).st_size <= entry.offset:
                    flags = EVENT_FD_READWRITE_HANGUP
            out.append(_EVENT.pack(userdata, ESUCCESS, tag, 1, flags))
        if out:
            self._write(out_ptr, b"".join(out), 8)
        self._put_u32(nevents_ptr, len(out))
        return ESUCCESS

    def _subscription(self, raw, off):
        """(userdata, tag, clock id or fd, timeout, absolute) of one subscription; an unknown
        tag, clock id or flag: EINVAL (wasmtime reads subscriptions as typed values)."""
        userdata, tag = _SUB_HEAD.unpack_from(raw, off)
        if tag == EVENTTYPE_CLOCK:
            clock_id, timeout, _precision, flags = _SUB_CLOCK.unpack_from(raw, off + 16)
            if clock_id > 3 or flags & ~SUBSCRIPTION_CLOCK_ABSTIME:
                raise WasiError(EINVAL)
            return userdata, tag, clock_id, timeout, bool(flags & SUBSCRIPTION_CLOCK_ABSTIME)
        if tag in (EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE):
            return userdata, tag, _U32.unpack_from(raw, off + 16)[0], 0, False
        raise WasiError(EINVAL)

    def _poll_fd(self, fd, tag):
        entry = self.fds.get(fd)
        if entry is None:
            raise WasiError(EBADF)
        if entry.kind in ("file", "magic"):
            return entry
        if entry.kind == "stdio" and (entry.stdio == 0) == (tag == EVENTTYPE_FD_READ):
            return entry
        raise WasiError(EBADF)

    def _ready(self, subs, deadlines, entries):
        """The indexes of the subscriptions reported, in order, waiting as long as needed."""
        order = range(len(subs))
        while True:
            now = time.monotonic_ns()
            ready = [i for i in order if (i in deadlines and deadlines[i] <= now)
                     or (i in entries and subs[i][1] == EVENTTYPE_FD_WRITE)]
            if ready:
                return ready
            reads = [i for i in order if i in entries]
            files = [i for i in reads if entries[i].kind != "stdio"]
            stdin = [i for i in reads if entries[i].kind == "stdio"]
            first = min(deadlines.values()) if deadlines else None
            wait = None if first is None else max(first - now, 0) / 1e9
            if stdin and _stdin_ready(self.streams[0], 0 if files else wait):
                return sorted(files + stdin)
            if files:
                return files
            if not stdin:
                time.sleep(wait)
