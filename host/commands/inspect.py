"""`selfhost inspect [--json] [--module APP.wasm] SNAP`: show what a snapshot holds: header,
checksum, frames, memories, open files (checkpoint/inspect.py makes the view)."""
import hashlib
import json

from checkpoint import inspect as views

from ..errors import Failure, say
from . import common


def build_parser():
    p = common.parser("selfhost inspect", "selfhost inspect [--json] [--module APP.wasm] SNAP",
                      "Show what a snapshot holds: header, checksum, frames, memories, open "
                      "files.")
    p.add_argument("snap", metavar="SNAP")
    p.add_argument("--json", action="store_true", help="print the view as JSON")
    p.add_argument("--module", metavar="APP.wasm",
                   help="name functions from APP.wasm's name section and check that the "
                        "snapshot was taken of it")
    return p


def main(tokens):
    ns = common.parse(build_parser(), tokens)
    data = common.read_snapshot_file(ns.snap)
    names = {}
    module_sha = None
    if ns.module:
        try:
            with open(ns.module, "rb") as f:
                module_data = f.read()
        except OSError as e:
            raise Failure("cannot read %s: %s" % (ns.module, e.strerror or e)) from None
        module_sha = hashlib.sha256(module_data).hexdigest()
        try:
            from interp.decode import decode_module
            names = dict(decode_module(module_data).func_names or {})
        except Exception as e:       # a broken module: inspect the snapshot anyway
            say("warning: %s: cannot read function names: %s" % (ns.module, e))
    view = views.inspect(data, names)
    if module_sha is not None and "module_sha256" in view:
        view["module_matches"] = view["module_sha256"] == module_sha
        view["module_file"] = ns.module
        view["module_file_sha256"] = module_sha
    if ns.json:
        print(json.dumps(view, indent=1, sort_keys=True, default=str))
    else:
        print(views.render_text(view))
        if module_sha is not None and "module_matches" in view:
            print("module %s: %s" % (ns.module, "matches" if view["module_matches"] else
                                     "MISMATCH (sha256 %s)" % module_sha))
    ok = view.get("ok") and view.get("checksum_ok") and view.get("module_matches", True)
    return 0 if ok else 1
