"""Symlinks in wasmer-sdk's sandbox file system, through a tiny WASI helper run in the sandbox.

wasmer-sdk 0.5.0's SandboxFileSystem (write/read/mkdir/read_dir/stat/remove/rename) has no
symlink call: read_dir and stat report a symlink as kind "file" (size = the target's length)
and read() on it fails ("fd not a file"). The sandbox's WASI layer does know symlinks, so the
runner creates and reads them with LINK_HELPER_WAT, a WASI command run in the same sandbox
(only when there are links to carry: a run without symlinks never starts it):

    links s TARGET LINK [TARGET LINK ...]   path_symlink(TARGET, LINK) for each pair
    links r LINK [LINK ...]                 path_readlink(LINK) for each

LINK paths are relative to the helper's preopen "/" (so "workspace/d0/x", no leading slash).
For each operation the helper writes one record to stdout: b"+" TARGET b"\\0" on success (the
target is empty for "s"), b"-" ERRNO_BYTE b"\\0" on failure (a WASI errno, never 0).
Exit codes: 0 done, 2 bad use (no mode, or fd 3 is not the preopen "/"), 3 stdout failed.
"""

import functools
import os

LINK_HELPER_WAT = r"""
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0..63: scratch; 65536: the record being written (status, target, NUL); 131072: argv
  (memory (export "memory") 3)
  (global $argc (mut i32) (i32.const 0))

  (func $arg (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 131072) (i32.shl (local.get $i) (i32.const 2)))))

  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $n))

  (func $write_all (param $p i32) (param $n i32)
    (block $done (loop $more
      (br_if $done (i32.eqz (local.get $n)))
      (i32.store (i32.const 0) (local.get $p))
      (i32.store (i32.const 4) (local.get $n))
      (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $proc_exit (i32.const 3))))
      (local.set $p (i32.add (local.get $p) (i32.load (i32.const 8))))
      (local.set $n (i32.sub (local.get $n) (i32.load (i32.const 8))))
      (br $more))))

  ;; one record: the target (already at 65537, $len bytes) on success, else the errno
  (func $report (param $errno i32) (param $len i32)
    (if (local.get $errno)
      (then
        (i32.store8 (i32.const 65536) (i32.const 45))
        (i32.store8 (i32.const 65537) (local.get $errno))
        (i32.store8 (i32.const 65538) (i32.const 0))
        (call $write_all (i32.const 65536) (i32.const 3)))
      (else
        (i32.store8 (i32.const 65536) (i32.const 43))
        (i32.store8 (i32.add (i32.const 65537) (local.get $len)) (i32.const 0))
        (call $write_all (i32.const 65536) (i32.add (local.get $len) (i32.const 2))))))

  (func (export "_start") (local $need i32) (local $i i32) (local $p i32) (local $q i32) (local $mode i32)
    ;; fd 3 must be the preopen "/" (prestat: u8 tag at 16, u32 name length at 20)
    (if (call $fd_prestat_get (i32.const 3) (i32.const 16)) (then (call $proc_exit (i32.const 2))))
    (if (i32.ne (i32.load (i32.const 20)) (i32.const 1)) (then (call $proc_exit (i32.const 2))))
    (if (call $fd_prestat_dir_name (i32.const 3) (i32.const 24) (i32.const 1))
      (then (call $proc_exit (i32.const 2))))
    (if (i32.ne (i32.load8_u (i32.const 24)) (i32.const 47)) (then (call $proc_exit (i32.const 2))))
    ;; argv at 131072 (pointers, then the strings); grow the memory to fit
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (global.set $argc (i32.load (i32.const 0)))
    (local.set $need (i32.add (i32.const 131072)
      (i32.add (i32.shl (global.get $argc) (i32.const 2)) (i32.load (i32.const 4)))))
    (local.set $need (i32.sub (i32.shr_u (i32.add (local.get $need) (i32.const 65535)) (i32.const 16))
                              (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (if (i32.lt_s (memory.grow (local.get $need)) (i32.const 0))
        (then (call $proc_exit (i32.const 2))))))
    (drop (call $args_get (i32.const 131072)
      (i32.add (i32.const 131072) (i32.shl (global.get $argc) (i32.const 2)))))
    (if (i32.lt_u (global.get $argc) (i32.const 2)) (then (call $proc_exit (i32.const 2))))
    (local.set $mode (i32.load8_u (call $arg (i32.const 1))))
    (local.set $i (i32.const 2))
    (if (i32.eq (local.get $mode) (i32.const 114))          ;; "r": readlink each
      (then (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (global.get $argc)))
        (local.set $p (call $arg (local.get $i)))
        (i32.store (i32.const 8) (i32.const 0))
        (call $report
          (call $path_readlink (i32.const 3) (local.get $p) (call $strlen (local.get $p))
                               (i32.const 65537) (i32.const 65534) (i32.const 8))
          (i32.load (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
      (else (if (i32.eq (local.get $mode) (i32.const 115))  ;; "s": symlink each pair
        (then (block $done (loop $next
          (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (global.get $argc)))
          (local.set $p (call $arg (local.get $i)))
          (local.set $q (call $arg (i32.add (local.get $i) (i32.const 1))))
          (call $report
            (call $path_symlink (local.get $p) (call $strlen (local.get $p))
                                (i32.const 3) (local.get $q) (call $strlen (local.get $q)))
            (i32.const 0))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $next))))
        (else (call $proc_exit (i32.const 2))))))))
"""

WASI_ERRNO_NAMES = {2: "EACCES", 8: "EBADF", 20: "EEXIST", 28: "EINVAL", 31: "EISDIR",
                    32: "ELOOP", 37: "ENAMETOOLONG", 44: "ENOENT", 54: "ENOTDIR",
                    63: "EPERM", 69: "EROFS", 76: "ENOTCAPABLE"}


def errno_text(errno):
    return "WASI errno %d (%s)" % (errno, WASI_ERRNO_NAMES.get(errno, "?"))


@functools.lru_cache(maxsize=None)
def helper_wasm():
    """LINK_HELPER as a binary module (wasmtime, a dependency anyway, assembles the text)."""
    try:
        import wasmtime
    except ImportError:
        raise OSError("copying symlinks to or from the Wasmer sandbox needs the wasmtime "
                      "Python package: pip install wasmtime==50.0.1") from None
    return wasmtime.wat2wasm(LINK_HELPER_WAT)


def _relative(sandbox_path):
    return sandbox_path.lstrip("/")      # the helper's paths are relative to its preopen "/"


class SandboxLinks:
    """Create and read symlinks in one wasmer-sdk sandbox (the helper is installed once)."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.package = None

    async def _run(self, mode, args, count):
        """One (ok, target bytes | errno) per operation."""
        if self.package is None:
            self.package = await self.sandbox.install_package(helper_wasm())
        output = await self.sandbox.command(self.package, [mode] + args).run(check=False)
        records = output.stdout.bytes.split(b"\0")[:-1]
        if output.exit_code != 0 or len(records) != count:
            message = output.stderr.bytes.decode("utf-8", "replace").strip()
            raise OSError("the sandbox's symlink helper failed (exit %s, %d of %d answers): %s"
                          % (output.exit_code, len(records), count, message or "no message"))
        return [(True, r[1:]) if r[:1] == b"+" else (False, r[1]) for r in records]

    async def create(self, links):
        """Create each (sandbox_path, target) symlink, the target stored verbatim."""
        if not links:
            return
        args = []
        for path, target in links:
            args += [target, _relative(path)]
        answers = await self._run("s", args, len(links))
        for (path, target), (ok, errno) in zip(links, answers):
            if not ok:
                raise OSError("cannot recreate the symlink %s -> %s in the sandbox: %s"
                              % (path, target, errno_text(errno)))

    async def read(self, paths):
        """{sandbox_path: target (str), or the WASI errno (int) when it is not a symlink}."""
        if not paths:
            return {}
        answers = await self._run("r", [_relative(p) for p in paths], len(paths))
        return {path: os.fsdecode(value) if ok else value
                for path, (ok, value) in zip(paths, answers)}
