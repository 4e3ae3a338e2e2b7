"""Run one WASI preview1 module under Wasmer (PyPI wasmer-sdk), as a process of its own.

    python -m host.runtimes.wasmer_child CONFIG.json

CONFIG.json: {"module": path, "args": [argv0, ...], "env": {K: V},
              "mounts": [[host_dir, "/workspace/...", names or null], ...],
              "cwd": path or null, "cache": dir or null}

Wasmer's sandbox file system is virtual and lives under /workspace: each host_dir is copied in
before the run, and afterwards every file the guest created or changed there is written back to
host_dir (and what it removed is removed), never through a symlink on the host (confined.py).
A mount with names (a private mount of selfhost.wasm's own files: snapshot, stats) carries
only those files of its top level, both ways. Symlinks are copied as links, both ways, with
host/runtimes/wasmer_links.py (wasmer-sdk's file system API has no symlink calls).
stdout/stderr stream to this process's own, stdin is pumped from this process's own, and the
exit code is the guest's. wasmer-sdk names argv[0] after the package's command ("main"); the
given argv[0] is dropped. With $SELFHOST_STARTUP_TRACE set to a path, the times (time.time())
at which this runner started, had the module loaded and the command spawned are written there
as JSON (bench/startup.py).
"""
import asyncio
import json
import os
import sys
import threading
import time

from host.runtimes.base import read_config
from host.runtimes.confined import HostTree, Unsafe
from host.runtimes.wasmer_links import SandboxLinks
from selfhost import exit_codes

_MARKS = {"started": time.time()}
EXIT_LAUNCH = exit_codes.USAGE
WORKSPACE = "/workspace"


def _fail(message):
    sys.stderr.write("selfhost wasmer runner: error: %s\n" % message)
    return EXIT_LAUNCH


def collect_files(mounts):
    """What to copy into the sandbox: {sandbox_path: bytes} for every file under the mounted
    host dirs, the sandbox directories (so that empty ones exist too) and the symlinks as
    [(sandbox_path, target)] (recreated as links, not followed: see host/runtimes/wasmer_links.py).
    The host trees are read through HostTree (host/runtimes/confined.py): nothing below a
    mount is ever reached through a symlink. A mount with ``names`` copies only those files
    of its top level (a private mount of selfhost.wasm's own files)."""
    files, dirs, links = {}, [], []
    for host, target, names in mounts:
        dirs.append(target)
        with HostTree(host) as tree:
            for parts, kind, value in tree.scan():
                if names is not None and (len(parts) != 1 or parts[0] not in names
                                          or kind != "file"):
                    continue
                path = target + "/" + "/".join(parts)
                if kind == "file":
                    files[path] = value
                elif kind == "dir":
                    dirs.append(path)
                else:
                    links.append((path, value))
    return files, dirs, links


async def _walk_sandbox(fs, root):
    """Yield (sandbox_path, kind) below root, parents before children."""
    stack = [root]
    while stack:
        current = stack.pop()
        for entry in await fs.read_dir(current):
            path = current + "/" + entry.name
            yield path, entry.kind
            if entry.kind == "directory":
                stack.append(path)


def _parts(target, path):
    return tuple(path[len(target) + 1:].split("/"))


async def sync_back(fs, links, mounts, copied_in, dirs_in, links_in):
    """Write what the guest changed under each mount back to its host dir: files, dirs and
    symlinks (``links`` is the SandboxLinks of this sandbox); remove what it removed. Every
    host operation goes through HostTree: confined to the mount, never through a symlink (a
    file the guest left where the host has a symlink replaces the symlink)."""
    import wasmer_sdk

    for host, target, names in mounts:
        with HostTree(host) as tree:
            await _sync_mount(wasmer_sdk, fs, links, tree, target, names, copied_in, dirs_in,
                              links_in)


async def _sync_mount(wasmer_sdk, fs, links, tree, target, names, copied_in, dirs_in, links_in):
    seen, unread = set(), {}
    async for path, kind in _walk_sandbox(fs, target):
        parts = _parts(target, path)
        if names is not None and (len(parts) != 1 or parts[0] not in names):
            continue
        if kind == "directory":
            seen.add(path)
            if names is None:
                _confined(tree.make_dir, parts, path)
            continue
        if kind != "file":
            continue
        seen.add(path)
        try:
            data = await fs.read(path)
        except wasmer_sdk.WasmerError as e:   # a symlink reads as "fd not a file"
            unread[path] = e
            continue
        if copied_in.get(path) == data:
            continue
        _confined(tree.write_file, parts, path, data)
    for path, link in (await links.read(list(unread))).items():
        if not isinstance(link, str):
            raise OSError("cannot copy %s back from the sandbox: %s" % (path, unread[path]))
        if names is None:
            _confined(tree.make_link, _parts(target, path), path, link)
    for path in list(copied_in) + [p for p, _t in links_in]:
        if path.startswith(target + "/") and path not in seen:
            tree.remove(_parts(target, path))
    for path in sorted(dirs_in, reverse=True):      # children before their parents
        if path.startswith(target + "/") and path not in seen:
            tree.remove_dir(_parts(target, path))


def _confined(operation, parts, path, *args):
    """Run a HostTree operation; a path the host no longer lets us reach without following a
    symlink (a host process changed the tree during the run) is skipped with a warning."""
    try:
        operation(parts, *args)
    except Unsafe as e:
        sys.stderr.write("selfhost wasmer runner: warning: %s not copied back: %s on the host "
                         "is not a directory (a symlink?)\n" % (path, e.filename))


def _start_stdin_pump(loop, queue):
    """Read this process's stdin in a daemon thread and hand the chunks to the event loop
    (None at EOF). A daemon thread, because a read on a terminal may never return."""
    def pump():
        fd = sys.stdin.fileno() if sys.stdin is not None else None
        while fd is not None:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            loop.call_soon_threadsafe(queue.put_nowait, chunk)
        loop.call_soon_threadsafe(queue.put_nowait, None)
    threading.Thread(target=pump, daemon=True).start()


async def _feed_stdin(proc, queue):
    try:
        while True:
            chunk = await queue.get()
            if chunk is None:
                break
            await proc.stdin.write(chunk)
    except Exception:
        pass                          # the guest has exited: nobody reads any more
    finally:
        try:
            await proc.stdin.close()
        except Exception:
            pass


async def _pump_out(stream, out):
    if stream is None:
        return
    async for chunk in stream:
        out.write(chunk)
        out.flush()


async def run(config):
    import wasmer_sdk

    with open(config["module"], "rb") as f:
        wasm = f.read()
    mounts = [(m[0], m[1], None if len(m) < 3 or m[2] is None else set(m[2]))
              for m in config.get("mounts", [])]
    files, dirs, links_in = collect_files(mounts)
    cache = config.get("cache")
    async with wasmer_sdk.Wasmer(cache_root=cache) as wasmer:
        package = await wasmer.packages.load(wasm)
        _MARKS["loaded"] = time.time()
        sandbox = await wasmer.sandboxes.create(packages=[package], files=files)
        try:
            for d in dirs:
                await sandbox.fs.mkdir(d, recursive=True)
            links = SandboxLinks(sandbox)
            await links.create(links_in)
            command = sandbox.command(package, config.get("args", [])[1:],
                                      cwd=config.get("cwd") or WORKSPACE,
                                      env=config.get("env") or {})
            proc = await command.spawn(stdin="pipe", stdout="pipe", stderr="pipe")
            _MARKS["instantiated"] = time.time()
            queue = asyncio.Queue()
            _start_stdin_pump(asyncio.get_running_loop(), queue)
            feeder = asyncio.ensure_future(_feed_stdin(proc, queue))
            await asyncio.gather(_pump_out(proc.stdout, sys.stdout.buffer),
                                 _pump_out(proc.stderr, sys.stderr.buffer))
            try:
                output = await proc.wait()
            except wasmer_sdk.WasmerError as e:
                # A Wasm trap ends the command with "RuntimeError: ..." instead of an exit
                # code: report it like wasmtime does (exit 134), after syncing files back.
                if "RuntimeError:" not in str(e):
                    raise
                sys.stderr.write("selfhost wasmer runner: wasm trap: %s\n"
                                 % str(e).strip().splitlines()[0])
                output = None
            feeder.cancel()
            await sync_back(sandbox.fs, links, mounts, files, dirs, links_in)
        finally:
            await sandbox.close()
    if output is None:
        return TRAP_EXIT_CODE
    if output.exit_code is None:
        sys.stderr.write("selfhost wasmer runner: the guest ended without an exit code (%s)\n"
                         % output.reason)
        return exit_codes.ERROR
    return output.exit_code


TRAP_EXIT_CODE = exit_codes.TRAP  # as wasmtime's CLI on Unix (128 + SIGABRT)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    config, problem = read_config(argv, "host.runtimes.wasmer_child")
    if problem:
        return _fail(problem)
    try:
        import wasmer_sdk
    except ImportError:
        return _fail("the wasmer-sdk Python package is missing: pip install wasmer-sdk==0.5.0")
    watch = PanicWatch()
    try:
        code = asyncio.run(run(config))
    except OSError as e:
        return _fail(str(e))
    except wasmer_sdk.WasmerError as e:
        return _fail("wasmer: %s" % e)
    except Exception as e:            # never a traceback: say what failed and stop
        return _fail("%s: %s" % (type(e).__name__, e))
    finally:
        panic = watch.stop()
    if panic is not None:
        sys.stderr.write("selfhost wasmer runner: error: wasmer panicked, the guest did not "
                         "finish: %s\n" % panic)
        return exit_codes.ERROR
    return code


class PanicWatch:
    """wasmer-wasix can panic inside a syscall (e.g. path_rename onto a dangling symlink): the
    guest is gone, yet the command reports exit 0, and Rust prints a backtrace on fd 2. So fd 2
    goes to a pipe while the guest runs (the guest's own stderr keeps the real one): what
    wasmer writes there is passed on unless it is a panic, which becomes one line and exit 1."""

    LIMIT = 1 << 16

    def __init__(self):
        sys.stderr.flush()
        self.real = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        sys.stderr = open(self.real, "w", closefd=False)
        self.text = bytearray()
        self.thread = threading.Thread(target=self._drain, args=(read,), daemon=True)
        self.thread.start()

    def _drain(self, fd):
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            if len(self.text) < self.LIMIT:
                self.text += chunk[:self.LIMIT - len(self.text)]
        os.close(fd)

    def stop(self):
        """Put fd 2 back; the panic's message, or None (the rest is written out)."""
        sys.stderr.flush()
        os.dup2(self.real, 2)
        self.thread.join(timeout=5)
        text = bytes(self.text).decode("utf-8", "replace")
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if " panicked at " in line:
                return lines[i + 1].strip() if i + 1 < len(lines) else line.strip()
        os.write(self.real, bytes(self.text))
        return None


if __name__ == "__main__":
    code = main()
    if os.environ.get("SELFHOST_STARTUP_TRACE"):
        with open(os.environ["SELFHOST_STARTUP_TRACE"], "w") as f:
            json.dump(_MARKS, f)
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave at once: letting the interpreter tear down while wasmer-sdk's native threads (and
    # the stdin pump) are still around sometimes aborts with "FATAL: exception not rethrown".
    os._exit(code)
