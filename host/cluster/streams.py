"""An app's stdout or stderr, put together from the chunks its runs on different nodes sent.

Every chunk carries its absolute offset in the app's stream: a fresh run starts at 0, a run
restored from a snapshot starts at the byte count the snapshot recorded. Runs overlap when an
app restarts from an older snapshot (it writes again what a dead node had already sent), so
the first copy of each offset is kept and later copies of it are ignored: each byte once.
"""


class Stream:
    """Chunks (offset, bytes) in, the stream out. Chunks may come in any order and overlap."""

    def __init__(self):
        self._log = []          # (run, offset, data) in arrival order, for drop_run
        self._spans = []        # sorted, disjoint, non-adjacent [start, bytearray]

    def add(self, offset, data, run=None):
        """Record ``data`` at ``offset``; bytes at offsets already held are not replaced."""
        if not data:
            return
        self._log.append((run, offset, bytes(data)))
        self._fill(offset, bytes(data))

    def _fill(self, offset, data):
        end = offset + len(data)
        pieces = []             # the parts of [offset, end) no span covers yet
        pos = offset
        for start, buf in self._spans:
            stop = start + len(buf)
            if stop <= pos:
                continue
            if start >= end:
                break
            if start > pos:
                pieces.append((pos, data[pos - offset:start - offset]))
            pos = max(pos, stop)
            if pos >= end:
                break
        if pos < end:
            pieces.append((pos, data[pos - offset:]))
        for start, piece in pieces:
            self._insert(start, piece)

    def _insert(self, start, piece):
        spans = self._spans
        i = 0
        while i < len(spans) and spans[i][0] < start:
            i += 1
        spans.insert(i, [start, bytearray(piece)])
        # coalesce with the neighbours it touches
        if i + 1 < len(spans) and spans[i][0] + len(spans[i][1]) == spans[i + 1][0]:
            spans[i][1] += spans.pop(i + 1)[1]
        if i > 0 and spans[i - 1][0] + len(spans[i - 1][1]) == spans[i][0]:
            spans[i - 1][1] += spans.pop(i)[1]

    def drop_run(self, run):
        """Forget what ``run`` sent (a restore that failed: its bytes are selfhost's error text,
        not the app's) and rebuild the stream from the other runs' chunks."""
        self._log = [c for c in self._log if c[0] != run]
        self._spans = []
        for _run, offset, data in self._log:
            self._fill(offset, data)

    def contiguous(self):
        """How many bytes from offset 0 on are known without a hole."""
        if self._spans and self._spans[0][0] == 0:
            return len(self._spans[0][1])
        return 0

    def read(self, start=0):
        """The bytes known without a hole from ``start`` on (b"" past the first hole)."""
        if not self._spans or self._spans[0][0] != 0:
            return b""
        return bytes(self._spans[0][1][start:])

    def holes(self, end):
        """[(start, stop)] ranges below ``end`` that no chunk covered."""
        out = []
        pos = 0
        for start, buf in self._spans:
            if start >= end:
                break
            if start > pos:
                out.append((pos, start))
            pos = max(pos, start + len(buf))
        if pos < end:
            out.append((pos, end))
        return out
