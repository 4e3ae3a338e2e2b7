"""`selfhost cluster`: run and live-migrate apps across the nodes of a Ray cluster (host/cluster/).

    selfhost cluster start --nodes RUNTIME[,RUNTIME...] [--timeout S]
    selfhost cluster stop
    selfhost cluster submit [--node N | --runtime R] [--dir HOST[::GUEST]]... [--env K=V]...
                            [--checkpoint-every S] APP.wasm [--] [APP_ARGS...]
    selfhost cluster status [--json]
    selfhost cluster migrate APP_ID --to N
    selfhost cluster evacuate N
    selfhost cluster wait APP_ID [--output-dir D] [--timeout S]

`start`/`stop` manage a local cluster (host/cluster/local.py; its state lives in
$SELFHOST_CLUSTER_DIR, default ~/.cache/selfhost/cluster). Every other command takes
`--address HOST:PORT` to use an existing Ray cluster instead: its nodes that offer a resource
runtime_R (`ray start --resources '{"runtime_wasmtime": 1}'`) become the selfhost nodes.
N is a node's index (in --nodes order) or its Ray node id (a unique prefix of 8+ digits).

Exit codes (selfhost/exit_codes.py): 0 done (`wait`: the app's own exit code); 1 the request
failed (unknown app id, node without that runtime, dead node, no checkpoint...); 2 a bad
command line, or no cluster (none running, unreachable, Ray not installed). Errors are one
line ("selfhost: error: ..."); progress of long operations goes to stderr as "selfhost: ...".
"""
import json
import os
import re
import sys
import time

from selfhost import exit_codes
from selfhost.cli import split_argv

from ..cluster import local
from ..cluster.client import Client, import_ray, split_address
from ..errors import Failure, LaunchError, UsageError, say
from ..launch import require_build
from ..mounts import parse_dir
from ..runtimes import NAMES as RUNTIMES
from . import common


def _parser(name, usage, description):
    return common.parser("selfhost cluster " + name, usage, description)


def _address_arg(p):
    p.add_argument("--address", metavar="HOST:PORT",
                   help="an existing Ray cluster (default: the local one of `cluster start`)")


def _parse(p, tokens):
    if any(t in ("-h", "--help") for t in tokens):
        p.print_help(_OUT)
        raise SystemExit(0)
    return p.parse_args(tokens)


def _client(address):
    if address is not None:
        try:
            split_address(address)
        except ValueError as e:
            raise UsageError("--address: %s" % e) from None
    return Client(address, say=say)


# --- start / stop --------------------------------------------------------------------------

def cmd_start(tokens):
    p = _parser("start", "selfhost cluster start --nodes RUNTIME[,RUNTIME...] [--timeout S]",
                "Start a local Ray cluster (loopback only): a head node and one Ray node per "
                "runtime in --nodes, each with its own work root.")
    p.add_argument("--nodes", required=True, metavar="RUNTIMES",
                   help="comma-separated runtimes, one node each (%s)" % ", ".join(RUNTIMES))
    p.add_argument("--timeout", type=common.seconds, default=300.0, metavar="S",
                   help="give up after S seconds (default 300)")
    ns = _parse(p, tokens)
    runtimes = [r.strip() for r in ns.nodes.split(",")]
    for r in runtimes:
        if r not in RUNTIMES:
            raise UsageError("--nodes: unknown runtime %r (choose from %s)"
                             % (r, ", ".join(RUNTIMES)))
    import_ray()
    if any(r != "native" for r in runtimes):
        require_build()
    t0 = time.time()
    state = local.start(runtimes, ns.timeout, say)
    _print("local cluster up in %.1f s at %s: %s" % (
        time.time() - t0, state["address"],
        ", ".join("node %d %s" % (n["index"], n["runtime"]) for n in state["nodes"])))
    return exit_codes.OK


def cmd_stop(tokens):
    p = _parser("stop", "selfhost cluster stop", "Stop the local cluster of `cluster start`.")
    _parse(p, tokens)
    state = local.read_state()
    if state is None:
        raise LaunchError("no local cluster is running")
    t0 = time.time()
    say("stopping the local cluster at %s (pid %d)" % (state["address"], state["pid"]))
    local.stop(state)
    _print("stopped in %.1f s" % (time.time() - t0))
    return exit_codes.OK


# --- apps ----------------------------------------------------------------------------------

_SUBMIT_VALUES = ("--node", "--runtime", "--dir", "--env", "--checkpoint-every", "--address")


def split_submit(tokens):
    """-> (option tokens, APP.wasm or None, app args), split as `selfhost run` splits them:
    options, APP.wasm, then the app's own arguments (an optional `--` before or after APP)."""
    return split_argv(tokens, _SUBMIT_VALUES)


def cmd_submit(tokens):
    p = _parser("submit", "selfhost cluster submit [--node N | --runtime R] "
                "[--dir HOST[::GUEST]]... [--env K=V]... [--checkpoint-every S] APP.wasm [--] "
                "[APP_ARGS...]",
                "Run APP.wasm on a node of the cluster; prints its app id. The --dir "
                "directories are copied onto that node (nodes share no files).")
    p.add_argument("--node", metavar="N", help="the node to run on (index or Ray node id)")
    p.add_argument("--runtime", choices=RUNTIMES, help="any node that offers this runtime")
    p.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[],
                   help="give the app a copy of HOST, named GUEST (default: HOST)")
    common.env_arg(p)
    p.add_argument("--checkpoint-every", metavar="S", type=common.seconds,
                   help="checkpoint every S seconds and keep the snapshot off-node: a node "
                        "crash then costs at most S seconds of the app's work")
    _address_arg(p)
    options, app, app_args = split_submit(tokens)
    ns = _parse(p, options)
    if app is None:
        raise UsageError("missing APP.wasm")
    if ns.node is not None and ns.runtime is not None:
        raise UsageError("give --node or --runtime, not both")
    dirs = [parse_dir(spec) for spec in ns.dir]
    common.check_env(ns.env)
    if not os.path.isfile(app):
        raise Failure("%s: no such file" % app)
    res = _client(ns.address).submit(app, app_args, dirs, ns.node, ns.runtime,
                                     ns.checkpoint_every, ns.env)
    say("%s: submitted to node %d (%s); %d bytes of files staged" % (
        res["app_id"], res["node"], res["runtime"], res["staged_bytes"]))
    _print(res["app_id"])
    return exit_codes.OK


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
        return exit_codes.OK
    _print("%-5s %-12s %-6s %-5s %s" % ("NODE", "RUNTIME", "STATE", "APPS", "RAY NODE ID"))
    for n in status["nodes"]:
        _print("%-5d %-12s %-6s %-5d %s" % (n["index"], n["runtime"], "alive" if n["alive"] else
                                           "dead", n["apps"], n["ray_node_id"]))
        if n.get("death"):
            _print("    %s" % n["death"])
    _print("")
    _print("%-8s %-16s %-10s %-17s %-6s %-14s %s" % ("APP", "NAME", "STATE", "NODE", "MOVES",
                                                    "LAST DOWNTIME", "EXIT"))
    for a in status["apps"]:
        where = "-" if a["node"] is None else "%d (%s)" % (a["node"], a["runtime"])
        _print("%-8s %-16s %-10s %-17s %-6d %-14s %s" % (
            a["id"], a["name"][:16], a["state"], where, len(a["moves"]),
            _fmt_s(a["last_downtime"]), "-" if a["exit_code"] is None else a["exit_code"]))
        for i, m in enumerate(a["moves"], 1):
            _print("    move %d: %s" % (i, _move_line(m)))
        if a["error"]:
            _print("    error: %s" % a["error"])
    return exit_codes.OK


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
    return exit_codes.OK


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
        say("%s: ended (exit code %s) before it could be moved" % (e["app"], e["exit_code"]))
    for e in res["errors"]:
        say("%s: not moved: %s" % (e["app"], e["error"]))
    _print("node %d evacuated: %d app(s) moved, %d ended meanwhile, %d not moved" % (
        res["node"], len(res["moved"]), len(res["ended"]), len(res["errors"])))
    return exit_codes.ERROR if res["errors"] else exit_codes.OK


def cmd_wait(tokens):
    p = _parser("wait", "selfhost cluster wait APP_ID [--output-dir D] [--timeout S]",
                "Wait for the app to end; print its stdout/stderr (each byte once, from all "
                "the nodes it ran on); exit with its exit code; copy its final files to D.")
    p.add_argument("app_id", metavar="APP_ID")
    p.add_argument("--output-dir", metavar="D", help="copy the app's final directories here")
    p.add_argument("--timeout", type=common.seconds, metavar="S",
                   help="give up after S seconds")
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

    def __init__(self):
        self.pending = ""

    def write(self, text):
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            line = self.ANSI.sub("", line).strip()
            if line:
                say("ray: " + line)
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
    """`selfhost cluster ...`. host/cli.py reports the errors (one line, selfhost's exit
    codes); an unexpected exception (Ray raises many kinds) becomes a one-line Failure here."""
    global _OUT
    _OUT, sys.stdout = sys.stdout, _RayMessages()
    try:
        tokens = list(tokens)
        if not tokens or tokens[0] in ("-h", "--help"):
            (_OUT if tokens else sys.stderr).write(usage() + "\n")
            return exit_codes.OK if tokens else exit_codes.USAGE
        command = COMMANDS.get(tokens[0])
        if command is None:
            raise UsageError("unknown command %r (choose from %s)"
                             % (tokens[0], ", ".join(COMMANDS)))
        return command[0](tokens[1:])
    except (SystemExit, KeyboardInterrupt, UsageError, Failure, LaunchError):
        raise
    except Exception as e:          # a bug: still one line, never a traceback
        raise Failure("internal error: %s: %s" % (type(e).__name__, e)) from None
    finally:
        sys.stdout = _OUT
