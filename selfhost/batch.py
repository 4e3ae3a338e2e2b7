"""``selfhost --batch JOBS.json``: run many apps one after the other in this one process, each as
its own ``selfhost`` command line, with its stdin, stdout, stderr and exit code in files.

Starting selfhost.wasm costs its host a compile or a cache load (0.3 s to several seconds); a
batch pays it once. JOBS.json:

    {"results": "out",                                    (optional; default JOBS.results)
     "jobs": [{"name": "hello",
               "argv": ["--dir", "box::/sandbox", "hello.wasm", "arg"],
               "stdin": "hello.in"}, ...]}                (optional; default: empty)

``argv`` is a selfhost command line, exactly what ``selfhost`` would be given (APP.wasm, its
arguments, --dir/--env/--argv0 and the other options). Relative paths in it (APP.wasm, each
--dir's HOST, the path options) and ``stdin``/``results`` are relative to the directory of
JOBS.json, so a batch can be moved (or mounted anywhere by a host) as one directory. Each job
writes RESULTS/NAME.stdout and RESULTS/NAME.stderr while it runs and RESULTS/NAME.exit (its exit
code, as ``selfhost`` would return it) when it is done; a summary line per job goes to stdout.
A job that fails (a bad module, a trap, a bad command line) is recorded and the next one runs.
"""
import gc
import io
import json
import os
import posixpath
import re
import sys
import time

_NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


class BatchError(Exception):
    """The jobs file itself is unusable (a one-line reason; exit code 2)."""


def _load(path):
    try:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        raise BatchError("cannot read --batch %s: %s" % (path, getattr(e, "strerror", None)
                                                          or e)) from None
    if type(spec) is not dict or type(spec.get("jobs")) is not list:
        raise BatchError("--batch %s: expected an object with a list \"jobs\"" % path)
    names = set()
    for i, job in enumerate(spec["jobs"]):
        if type(job) is not dict or type(job.get("argv")) is not list \
                or not all(type(a) is str for a in job["argv"]):
            raise BatchError("--batch %s: job %d needs \"argv\", a list of strings" % (path, i))
        name = job.get("name")
        if type(name) is not str or not _NAME.match(name) or name in names:
            raise BatchError("--batch %s: job %d needs a unique \"name\" of letters, digits, "
                             "'.', '_', '-'" % (path, i))
        names.add(name)
        if job.get("stdin") is not None and type(job["stdin"]) is not str:
            raise BatchError("--batch %s: job %s: \"stdin\" must be a path" % (path, name))
    results = spec.get("results", posixpath.basename(path) + ".results")
    if type(results) is not str:
        raise BatchError("--batch %s: \"results\" must be a path" % path)
    return spec["jobs"], results


def _under(base, path):
    return path if path.startswith("/") or not base else posixpath.join(base, path)


def rebase_value(option, value, base):
    """A path in a job's argv (APP.wasm, a --dir's HOST, a path option's value) made relative
    to ``base``, the jobs file's directory."""
    if option == "--dir":
        host, sep, guest = value.partition("::")
        return _under(base, host) + sep + (guest if sep else "")
    return _under(base, value)


def _text(stream):
    return io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape",
                            write_through=True)


def run(path, run_one, rebase):
    """Run the jobs of the file ``path``: ``run_one(argv)`` runs one selfhost command line and
    returns its exit code; ``rebase(argv, base)`` makes its paths relative to ``base``.
    Returns 0 (each job's code is in its .exit file)."""
    jobs, results = _load(path)
    base = posixpath.dirname(path)
    out_dir = _under(base, results)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise BatchError("cannot create %s: %s" % (out_dir, e.strerror or e)) from None
    real = sys.stdin, sys.stdout, sys.stderr
    for job in jobs:
        name = job["name"]
        argv = rebase(job["argv"], base)
        if not any(a == "--snapshot" or a.startswith("--snapshot=") for a in argv):
            argv = ["--snapshot", posixpath.join(out_dir, name + ".snap")] + argv
        stdin_path = job.get("stdin")
        started = time.monotonic()
        with open(posixpath.join(out_dir, name + ".stdout"), "wb") as out, \
                open(posixpath.join(out_dir, name + ".stderr"), "wb") as err:
            try:
                stdin = open(_under(base, stdin_path), "rb") if stdin_path else io.BytesIO()
            except OSError as e:
                err.write(b"selfhost: error: cannot read %s: %s\n"
                          % (stdin_path.encode("utf-8", "replace"),
                             str(e.strerror or e).encode("utf-8", "replace")))
                stdin = None
                code = 1
            if stdin is not None:
                wrapped = _text(stdin), _text(out), _text(err)
                sys.stdin, sys.stdout, sys.stderr = wrapped
                try:
                    code = run_one(argv)
                finally:
                    for stream in wrapped:
                        try:
                            stream.flush()
                            stream.detach()
                        except (OSError, ValueError):
                            pass
                    sys.stdin, sys.stdout, sys.stderr = real
                    stdin.close()
        with open(posixpath.join(out_dir, name + ".exit"), "w") as f:
            f.write("%d\n" % code)
        gc.collect()
        if sys.stdout is not None:
            sys.stdout.write("%s: exit %d (%.2f s)\n" % (name, code, time.monotonic() - started))
            sys.stdout.flush()
    return 0
