"""`selfhost cluster`: the command group (host/cli.py hands `selfhost cluster ...` here).

    selfhost cluster start --nodes RUNTIME[,RUNTIME...] [--timeout S]
    selfhost cluster stop
    selfhost cluster submit [--node N | --runtime R] [--dir HOST[::GUEST]]... [--checkpoint-every S]
                            APP.wasm [--] [APP_ARGS...]
    selfhost cluster status [--json]
    selfhost cluster migrate APP_ID --to N
    selfhost cluster evacuate N
    selfhost cluster wait APP_ID [--output-dir D] [--timeout S]

`start`/`stop` manage a local cluster (host/cluster/local.py; its state lives in
$SELFHOST_CLUSTER_DIR, default ~/.cache/selfhost/cluster). Every other command takes
`--address HOST:PORT` to use an existing Ray cluster instead: its nodes that offer a resource
runtime_R (`ray start --resources '{"runtime_wasmtime": 1}'`) become the selfhost nodes.
N is a node's index (in --nodes order) or its Ray node id (a unique prefix of 8+ digits).

Exit codes: 0 done (`wait`: the app's own exit code); 1 the request failed (unknown app id,
node without that runtime, dead node, no checkpoint...); 2 bad command line; 3 no cluster (not
running, unreachable, or Ray not installed). Errors are one line: "selfhost: error: ...".
Progress of long operations goes to stderr as "selfhost: ..." lines.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import local
from .client import (Client, ClusterError, EXIT_FAILED, EXIT_NO_CLUSTER, RUNTIMES, import_ray,
                     split_address)

EXIT_USAGE = 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError("%s: %s" % (self.prog, message))


def _say(message):
    sys.stdout.flush()
    sys.stderr.write("selfhost: %s\n" % message)
    sys.stderr.flush()


def _seconds(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected seconds, got %r" % text) from None
    if not 0 < v < float("inf"):
        raise argparse.ArgumentTypeError("expected a positive number of seconds, got %r" % text)
    return v


def _parser(prog, usage, description):
    return _Parser(prog="selfhost cluster " + prog, usage=usage, description=description,
                   allow_abbrev=False)


def _address_arg(p):
    p.add_argument("--address", metavar="HOST:PORT",
                   help="an existing Ray cluster (default: the local one of `cluster start`)")


def _parse(parser, tokens):
    if any(t in ("-h", "--help") for t in tokens):
        parser.print_help(_OUT)
        raise SystemExit(0)
    return parser.parse_args(tokens)


def _client(address):
    if address is not None:
        try:
            split_address(address)
        except ValueError as e:
            raise UsageError("--address: %s" % e) from None
    return Client(address, say=_say)


# --- start / stop --------------------------------------------------------------------------

def cmd_start(tokens):
    p = _parser("start", "selfhost cluster start --nodes RUNTIME[,RUNTIME...] [--timeout S]",
                "Start a local Ray cluster (loopback only): a head node and one Ray node per "
                "runtime in --nodes, each with its own work root.")
    p.add_argument("--nodes", required=True, metavar="RUNTIMES",
                   help="comma-separated runtimes, one node each (%s)" % ", ".join(RUNTIMES))
    p.add_argument("--timeout", type=_seconds, default=300.0, metavar="S",
                   help="give up after S seconds (default 300)")
    ns = _parse(p, tokens)
    runtimes = [r.strip() for r in ns.nodes.split(",")]
    for r in runtimes:
        if r not in RUNTIMES:
            raise UsageError("--nodes: unknown runtime %r (choose from %s)" % (r, ", ".join(
                RUNTIMES)))
    state = local.read_state()
    if state is not None:
        raise ClusterError("a local cluster is already running at %s (pid %d): selfhost "
                           "cluster stop first" % (state["address"], state["pid"]))
    import_ray()
    if any(r != "native" for r in runtimes):
        from .agent import CODE_ROOT
        wasm = os.environ.get("SELFHOST_WASM") or str(CODE_ROOT / "build" / "selfhost.wasm")
        if not os.path.isfile(wasm):
            raise ClusterError("%s not found: build it first with ./build.sh" % wasm)
    if "node" in runtimes and shutil.which("node") is None:
        raise ClusterError("node not found on PATH (needed for a node of runtime node)")
    directory = local.state_dir()
    os.makedirs(directory, exist_ok=True)
    config = {"nodes": runtimes, "state_dir": directory,
              "ray_tmp": tempfile.mkdtemp(prefix="shray-", dir="/tmp")}
    log_path = os.path.join(directory, "daemon.log")
    from .agent import CODE_ROOT
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(CODE_ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    t0 = time.time()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "host.cluster.local", json.dumps(config)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env, cwd=directory)
    _say("starting a local cluster: %s (log: %s)" % (", ".join(
        "node %d %s" % (i, r) for i, r in enumerate(runtimes)), log_path))
    seen = 0
    while True:
        lines = _read_lines(log_path)
        for line in lines[seen:]:
            if line.startswith("progress: ") and line != "progress: ready":
                _say("cluster: " + line[len("progress: "):])
            elif line.startswith("error: "):
                proc.wait(timeout=120)
                raise ClusterError("the cluster did not start: %s (log: %s)"
                                   % (line[len("error: "):], log_path))
        seen = len(lines)
        if "progress: ready" in lines:
            break
        if proc.poll() is not None:
            raise ClusterError("the cluster daemon exited with code %d (log: %s)"
                               % (proc.returncode, log_path))
        if time.time() - t0 > ns.timeout:
            _stop_daemon(proc.pid, 60)
            raise ClusterError("the cluster did not start within %g s (log: %s)"
                               % (ns.timeout, log_path))
        time.sleep(0.2)
    state = local.read_state()
    _print("local cluster up in %.1f s at %s: %s" % (time.time() - t0, state["address"],
                                                     ", ".join("node %d %s" % (n["index"],
                                                               n["runtime"])
                                                               for n in state["nodes"])))
    return 0


def _read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return [line.rstrip("\n") for line in f]
    except OSError:
        return []


def _stop_daemon(pid, timeout):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not local.pid_alive(pid):
            return True
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return False


def cmd_stop(tokens):
    p = _parser("stop", "selfhost cluster stop", "Stop the local cluster of `cluster start`.")
    _parse(p, tokens)
    state = local.read_state()
    if state is None:
        raise ClusterError("no local cluster is running", EXIT_NO_CLUSTER)
    t0 = time.time()
    _say("stopping the local cluster at %s (pid %d)" % (state["address"], state["pid"]))
    if not _stop_daemon(state["pid"], 120):
        raise ClusterError("the cluster daemon did not stop within 120 s: killed it")
    _print("stopped in %.1f s" % (time.time() - t0))
    return 0


# --- apps ----------------------------------------------------------------------------------

_SUBMIT_VALUES = ("--node", "--runtime", "--dir", "--checkpoint-every", "--address")


def split_submit(tokens):
    """-> (option tokens, APP.wasm or None, app args): options, APP.wasm, then the app's own
    arguments (an optional `--` before APP.wasm or right after it)."""
    options = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--":
            i += 1
            break
        if tok.startswith("-") and tok != "-":
            options.append(tok)
            if tok in _SUBMIT_VALUES:
                if i + 1 >= len(tokens):
                    raise UsageError("%s needs a value" % tok)
                options.append(tokens[i + 1])
                i += 1
            i += 1
            continue
        break
    if i >= len(tokens):
        return options, None, []
    app, rest = tokens[i], tokens[i + 1:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    return options, app, rest


def cmd_submit(tokens):
    p = _parser("submit", "selfhost cluster submit [--node N | --runtime R] "
                "[--dir HOST[::GUEST]]... [--checkpoint-every S] APP.wasm [--] [APP_ARGS...]",
                "Run APP.wasm on a node of the cluster; prints its app id. The --dir "
                "directories are copied onto that node (nodes share no files).")
    p.add_argument("--node", metavar="N", help="the node to run on (index or Ray node id)")
    p.add_argument("--runtime", choices=RUNTIMES, help="any node that offers this runtime")
    p.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[],
                   help="give the app a copy of HOST, named GUEST (default: HOST)")
    p.add_argument("--checkpoint-every", metavar="S", type=_seconds,
                   help="checkpoint every S seconds and keep the snapshot off-node: a node "
                        "crash then costs at most S seconds of the app's work")
    _address_arg(p)
    options, app, app_args = split_submit(tokens)
    ns = _parse(p, options)
    if app is None:
        raise UsageError("missing APP.wasm")
    if ns.node is not None and ns.runtime is not None:
        raise UsageError("give --node or --runtime, not both")
    dirs = []
    for spec in ns.dir:
        host, sep, guest = spec.partition("::")
        if not host or (sep and not guest):
            raise UsageError("bad --dir %r: expected HOST[::GUEST]" % spec)
        if not os.path.isdir(host):
            raise UsageError("--dir %s: no such directory" % host)
        dirs.append((host, guest or host))
    if not os.path.isfile(app):
        raise ClusterError("%s: no such file" % app)
    res = _client(ns.address).submit(app, app_args, dirs, ns.node, ns.runtime,
                                     ns.checkpoint_every)
    _say("%s: submitted to node %d (%s); %d bytes of files staged" % (
        res["app_id"], res["node"], res["runtime"], res["staged_bytes"]))
    _print(res["app_id"])
    return 0


def _fmt_s(v):
    return "-" if v is None else "%.3f s" % v


def _move_line(m):
    text = "%-8s node %s (%s) -> node %s (%s)" % (m["kind"], m["from"], m.get("from_runtime"),
                                                  m.get("to", "?"), m.get("to_runtime", "?"))
    if m.get("downtime") is not None:
        text += ", downtime %s" % _fmt_s(m["downtime"])
        if m["kind"] == "restart":
            text += " (from detection)"
    else:
        text += ", downtime pending (known when the app next checkpoints or ends)"
    if m.get("snapshot_bytes") is not None:
        text += ", snapshot %d B + files %d B" % (m["snapshot_bytes"], m["files_bytes"])
    if m["kind"] == "restart":
        text += ", from snapshot %d" % m["snapshot_gen"]
        if m.get("redone_stdout_bytes") is not None:
            text += ", work redone: %d B of stdout" % m["redone_stdout_bytes"]
            if m.get("redone_seconds_max") is not None:
                text += " (<= %.2f s)" % m["redone_seconds_max"]
    return text


def cmd_status(tokens):
    p = _parser("status", "selfhost cluster status [--json]",
                "Show the nodes and the apps: node, runtime, state, moves, last downtime.")
    p.add_argument("--json", action="store_true", help="everything, as JSON")
    _address_arg(p)
    ns = _parse(p, tokens)
    status = _client(ns.address).status()
    if ns.json:
        _print(json.dumps(status, indent=1, sort_keys=True))
        return 0
    _print("%-5s %-9s %-6s %-5s %s" % ("NODE", "RUNTIME", "STATE", "APPS", "RAY NODE ID"))
    for n in status["nodes"]:
        _print("%-5d %-9s %-6s %-5d %s" % (n["index"], n["runtime"], "alive" if n["alive"] else
                                          "dead", n["apps"], n["ray_node_id"]))
    _print("")
    _print("%-8s %-16s %-10s %-14s %-6s %-14s %s" % ("APP", "NAME", "STATE", "NODE", "MOVES",
                                                    "LAST DOWNTIME", "EXIT"))
    for a in status["apps"]:
        where = "-" if a["node"] is None else "%d (%s)" % (a["node"], a["runtime"])
        _print("%-8s %-16s %-10s %-14s %-6d %-14s %s" % (
            a["id"], a["name"][:16], a["state"], where, len(a["moves"]),
            _fmt_s(a["last_downtime"]), "-" if a["exit_code"] is None else a["exit_code"]))
        for i, m in enumerate(a["moves"], 1):
            _print("    move %d: %s" % (i, _move_line(m)))
        if a["error"]:
            _print("    error: %s" % a["error"])
    return 0


def cmd_migrate(tokens):
    p = _parser("migrate", "selfhost cluster migrate APP_ID --to N",
                "Checkpoint the app on its node, move the snapshot and its files through Ray's "
                "object store, restore it on node N with N's runtime.")
    p.add_argument("app_id", metavar="APP_ID")
    p.add_argument("--to", required=True, metavar="N", help="target node (index or Ray node id)")
    _address_arg(p)
    ns = _parse(p, tokens)
    move = _client(ns.address).migrate(ns.app_id, ns.to)
    _print("%s: %s" % (ns.app_id, _move_line(move)))
    return 0


def cmd_evacuate(tokens):
    p = _parser("evacuate", "selfhost cluster evacuate N",
                "Migrate every app off node N to the least loaded other nodes.")
    p.add_argument("node", metavar="N")
    _address_arg(p)
    ns = _parse(p, tokens)
    res = _client(ns.address).evacuate(ns.node)
    for m in res["moved"]:
        _print("%s: %s" % (m["app"], _move_line(m)))
    for e in res["ended"]:
        _say("%s: ended (exit code %s) before it could be moved" % (e["app"], e["exit_code"]))
    for e in res["errors"]:
        _say("%s: not moved: %s" % (e["app"], e["error"]))
    _print("node %d evacuated: %d app(s) moved, %d ended meanwhile, %d not moved" % (
        res["node"], len(res["moved"]), len(res["ended"]), len(res["errors"])))
    return EXIT_FAILED if res["errors"] else 0


def cmd_wait(tokens):
    p = _parser("wait", "selfhost cluster wait APP_ID [--output-dir D] [--timeout S]",
                "Wait for the app to end; print its stdout/stderr (each byte once, from all "
                "the nodes it ran on); exit with its exit code; copy its final files to D.")
    p.add_argument("app_id", metavar="APP_ID")
    p.add_argument("--output-dir", metavar="D", help="copy the app's final directories here")
    p.add_argument("--timeout", type=_seconds, metavar="S", help="give up after S seconds")
    _address_arg(p)
    ns = _parse(p, tokens)
    if ns.output_dir and os.path.exists(ns.output_dir) and not os.path.isdir(ns.output_dir):
        raise UsageError("--output-dir %s: not a directory" % ns.output_dir)
    return _client(ns.address).wait(ns.app_id, ns.output_dir, ns.timeout, stdout=_OUT.buffer)


COMMANDS = {
    "start": (cmd_start, "start a local cluster (one Ray node per runtime)"),
    "stop": (cmd_stop, "stop the local cluster"),
    "submit": (cmd_submit, "run an app on a node; prints its id"),
    "status": (cmd_status, "nodes and apps, with their moves"),
    "migrate": (cmd_migrate, "move a running app to another node"),
    "evacuate": (cmd_evacuate, "move every app off a node"),
    "wait": (cmd_wait, "wait for an app; print its output; exit with its code"),
}


def usage():
    lines = ["usage: selfhost cluster COMMAND [OPTIONS]", "", "commands:"]
    lines += ["  %-9s %s" % (name, text) for name, (_fn, text) in COMMANDS.items()]
    lines += ["", "`selfhost cluster COMMAND --help` for each; docs/cluster.md for the design."]
    return "\n".join(lines)


class _RayMessages:
    """Ray's driver prints cluster events (a node marked dead...) to sys.stdout; while a command
    runs they go to stderr as "selfhost: ray: ..." lines instead, so that stdout carries only
    the command's results and the app's own output (`wait`)."""

    ANSI = re.compile(r"\x1b\[[0-9;]*m")

    def __init__(self, err):
        self.err = err
        self.pending = ""

    def write(self, text):
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            line = self.ANSI.sub("", line).strip()
            if line:
                _say("ray: " + line)
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


_OUT = sys.stdout


def _print(text):
    _OUT.write(text + "\n")
    _OUT.flush()


def main(tokens):
    global _OUT
    _OUT, sys.stdout = sys.stdout, _RayMessages(sys.stderr)
    try:
        return _main(list(tokens))
    finally:
        sys.stdout = _OUT


def _main(tokens):
    if not tokens or tokens[0] in ("-h", "--help"):
        (_OUT if tokens else sys.stderr).write(usage() + "\n")
        return 0 if tokens else EXIT_USAGE
    command = COMMANDS.get(tokens[0])
    try:
        if command is None:
            raise UsageError("unknown command %r (choose from %s)" % (tokens[0], ", ".join(
                COMMANDS)))
        return command[0](tokens[1:])
    except SystemExit as e:
        return e.code or 0
    except UsageError as e:
        _err("%s (see `selfhost cluster --help`)" % e)
        return EXIT_USAGE
    except ClusterError as e:
        _err(str(e))
        return e.code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as e:          # a bug: still one line, never a traceback
        _err("internal error: %s: %s" % (type(e).__name__, e))
        return EXIT_FAILED


def _err(message):
    sys.stdout.flush()
    sys.stderr.write("selfhost: error: %s\n" % message)
    sys.stderr.flush()
