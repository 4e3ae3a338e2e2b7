"""The guest's stdin, stdout and stderr on the host: every byte delivered, in order, even when
the host's descriptor is non-blocking (Node may leave a pipe in O_NONBLOCK: a full pipe then
answers EAGAIN, and the write is retried when it drains instead of failing).
"""
import time

WAIT_FIRST, WAIT_MAX = 0.0005, 0.05     # seconds between retries of a would-block call


def _fileno(stream):
    try:
        return stream.fileno()
    except (AttributeError, ValueError, OSError):
        return None


def _wait(delay):
    time.sleep(delay)
    return min(delay * 2, WAIT_MAX)


class StdioWriter:
    """Writes to one output stream: through its OS fd when it has one (after flushing what the
    stream buffered), else through the stream."""

    def __init__(self, stream):
        self.stream = stream
        self.fd = _fileno(stream)

    def write(self, data):
        if self.fd is None:
            self.stream.write(data)
            self.stream.flush()
            return
        import os
        self.stream.flush()
        view = memoryview(data)
        done, delay = 0, WAIT_FIRST
        while done < len(view):
            try:
                n = os.write(self.fd, view[done:])
            except BlockingIOError:
                delay = _wait(delay)
                continue
            except InterruptedError:
                continue
            done += n
            delay = WAIT_FIRST


def read_some(stream, n):
    """Up to ``n`` bytes from an input stream, as many as are there (b"" at end of input),
    waiting while a non-blocking descriptor has nothing yet. A stream with an OS fd is read
    through it, unbuffered, so that poll_oneoff's readiness of that fd is the stream's."""
    fd = _fileno(stream)
    if fd is not None:
        import os
        read = lambda size: os.read(fd, size)
    else:
        read = getattr(stream, "read1", None) or stream.read
    delay = WAIT_FIRST
    while True:
        try:
            data = read(n)
        except BlockingIOError:
            delay = _wait(delay)
            continue
        except InterruptedError:
            continue
        if data is None:              # a raw non-blocking stream with nothing to read
            delay = _wait(delay)
            continue
        return data
