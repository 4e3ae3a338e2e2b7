"""A view of a snapshot for humans: a JSON-able dict and a text rendering of it.

inspect() takes a Snapshot or the bytes of a snapshot file. Given bytes it also reports the
section sizes and whether the checksum holds, and still shows the header and section table of a
damaged file (the frames etc. only when the file decodes).
"""
from interp.opcodes import F32, F64, FUNCREF, EXTERNREF, EXNREF, VALTYPE_NAMES
from interp.values import f32_to_bits, f64_to_bits

from . import codec
from . import wasi_state
from . import format as _format
from .snapshot import Snapshot, SnapshotError, PAGE_SIZE

_LABEL_NAMES = {0x00: "func", 0x02: "block", 0x03: "loop", 0x04: "if", 0x1F: "try_table"}


def value_text(value):
    """(valtype, value) -> short text; floats also show their exact bits."""
    t, v = value
    name = VALTYPE_NAMES.get(t, "0x%02x" % t)
    if t == F32:
        return "f32:%r (0x%08x)" % (v, f32_to_bits(v))
    if t == F64:
        return "f64:%r (0x%016x)" % (v, f64_to_bits(v))
    if t in (FUNCREF, EXTERNREF):
        return "%s:%s" % (name, "null" if v is None else v)
    if t == EXNREF:
        return "exnref:%s" % ("null" if v is None else "exception %d" % v)
    return "%s:%d" % (name, v)


def inspect(source, func_names=None):
    """Snapshot or snapshot bytes -> JSON-able dict. func_names: {function index: name}."""
    func_names = func_names or {}
    view = {}
    snap = source if isinstance(source, Snapshot) else None
    data = source
    try:
        if snap is not None:
            data = _format.encode(snap)
        layout = _format.read_layout(data)
    except SnapshotError as e:
        size = len(data) if isinstance(data, (bytes, bytearray, memoryview)) else 0
        return {"ok": False, "error": str(e), "size": size}
    view["format_version"] = layout["version"]
    view["module_sha256"] = layout["module_sha256"].hex()
    view["size"] = layout["size"]
    view["checksum_ok"] = layout["checksum_ok"]
    view["sections"] = [{"id": sid, "name": _format.SECTION_NAMES.get(sid, "unknown"),
                         "offset": off, "size": length}
                        for sid, off, length in layout["sections"]]
    if snap is None:
        try:
            snap = _format.decode(data)
        except SnapshotError as e:
            view["ok"] = False
            view["error"] = str(e)
            return view
    view["ok"] = True
    view["created_by"] = snap.created_by
    view["frames"] = [_frame_view(i, fr, func_names) for i, fr in enumerate(snap.frames)]
    view["globals"] = [value_text(v) for v in snap.globals]
    view["memories"] = [{"index": i, "pages": m.pages, "max_pages": m.max_pages,
                         "bytes": m.pages * PAGE_SIZE,
                         "nonzero_pages": codec.nonzero_pages(m.data)}
                        for i, m in enumerate(snap.memories)]
    view["tables"] = [{"index": i, "reftype": VALTYPE_NAMES.get(t.reftype, t.reftype),
                       "size": len(t.elements), "max": t.max,
                       "non_null": len(t.elements) - t.elements.count(None)}
                      for i, t in enumerate(snap.tables)]
    view["dropped_elems"] = list(snap.dropped_elems)
    view["dropped_datas"] = list(snap.dropped_datas)
    view["exceptions"] = [{"index": i, "tag": e.tag, "values": [value_text(v) for v in e.values]}
                          for i, e in enumerate(snap.exceptions)]
    view["wasi"] = wasi_state.describe(snap.wasi)
    view["stats"] = snap.stats
    return view


def _frame_view(i, fr, func_names):
    name = func_names.get(fr.func)
    return {"depth": i, "func": fr.func, "name": name, "pc": "0x%x" % fr.pc, "tier": fr.tier,
            "locals": [value_text(v) for v in fr.locals],
            "stack": [value_text(v) for v in fr.stack],
            "labels": ["%s@0x%x h=%d a=%d" % (_LABEL_NAMES.get(l.opcode, "0x%02x" % l.opcode),
                                              l.start_offset, l.height, l.arity)
                       for l in fr.labels]}


def render_text(view, max_frames=20):
    """The dict from inspect() as lines for a terminal; shows the innermost max_frames frames."""
    out = []
    if "format_version" not in view:
        return "not a readable snapshot: %s (%d bytes)" % (view.get("error"), view.get("size", 0))
    out.append("snapshot format v%d, %d bytes, checksum %s"
               % (view["format_version"], view["size"],
                  "ok" if view["checksum_ok"] else "BAD"))
    out.append("module sha256 %s" % view["module_sha256"])
    if view.get("created_by"):
        out.append("created by %s" % view["created_by"])
    out.append("sections: " + ", ".join("%s %d B" % (s["name"], s["size"])
                                        for s in view["sections"]))
    if not view.get("ok"):
        out.append("error: %s" % view.get("error"))
        return "\n".join(out)
    frames = view["frames"]
    out.append("frames (%d, innermost first):" % len(frames))
    shown = frames[::-1][:max_frames]
    for fr in shown:
        name = fr["name"] or "func[%d]" % fr["func"]
        out.append("  #%d %s pc=%s%s" % (fr["depth"], name, fr["pc"],
                                         " tier=%s" % fr["tier"] if fr["tier"] else ""))
        if fr["locals"]:
            out.append("      locals: " + ", ".join(fr["locals"]))
        if fr["stack"]:
            out.append("      stack:  " + ", ".join(fr["stack"]))
    if len(frames) > len(shown):
        out.append("  ... %d outer frames not shown" % (len(frames) - len(shown)))
    if view["globals"]:
        out.append("globals: " + ", ".join(view["globals"]))
    for m in view["memories"]:
        out.append("memory %d: %d pages (max %s), %d non-zero"
                   % (m["index"], m["pages"], m["max_pages"], m["nonzero_pages"]))
    for t in view["tables"]:
        out.append("table %d: %s, %d elements (%d non-null), max %s"
                   % (t["index"], t["reftype"], t["size"], t["non_null"], t["max"]))
    fds = view["wasi"].get("fds")
    if fds:
        out.append("open fds:")
        items = fds.items() if isinstance(fds, dict) else enumerate(fds)
        for k, fd in items:
            out.append("  %s: %s" % (k, fd))
    return "\n".join(out)
