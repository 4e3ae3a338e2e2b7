// Run one WASI preview1 module under plain node:wasi (tests/conformance/plain_host.py).
//
// Usage: node plain_node.mjs CONFIG.json
//   CONFIG.json: {"module": path, "args": [argv0, ...], "env": {K: V}, "preopens": {guest: host}}
// What the module sees is node:wasi's answer, with one exception: path_open asks for the
// rights wasi-libc's open() asks for (all rights but the access ones, plus those of the access
// mode: FD_READ and FD_READDIR to read; FD_WRITE, FD_DATASYNC, FD_ALLOCATE and
// FD_FILESTAT_SET_SIZE to write), no more than the directory fd may pass on (its fdstat's
// rights_inheriting). The conformance programs ask for the rights they mean to use, or for
// all of them (common.h's ALL_RIGHTS): wasmtime ignores rights, uvwasi enforces them and
// refuses a request beyond rights_inheriting with ENOTCAPABLE. So the program gets the
// rights selfhost.wasm gets from uvwasi (its CPython opens through wasi-libc), and what
// uvwasi then answers is uvwasi's own. Nothing else is shadowed (unlike
// host/runtimes/node_launcher.mjs, selfhost's own launcher). The exit code is the guest's.
import { readFileSync, writeSync } from 'node:fs';
import { WASI } from 'node:wasi';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const wasi = new WASI({
  version: 'preview1',
  args: config.args,
  env: config.env,
  preopens: config.preopens,
  returnOnExit: true,
});
const module = await WebAssembly.compile(readFileSync(config.module));
const imports = wasi.getImportObject();
const w = imports.wasi_snapshot_preview1;
const { path_open: pathOpen, fd_fdstat_get: fdstatGet } = w;
let instance;
const ALL = 0x1FFFFFFFn;
const READ = 0x2n | 0x4000n;                     // FD_READ, FD_READDIR
const WRITE = 0x1n | 0x40n | 0x100n | 0x400000n;  // FD_DATASYNC, FD_WRITE, FD_ALLOCATE, FD_FILESTAT_SET_SIZE
w.path_open = (fd, dirflags, path, len, oflags, base, inheriting, fdflags, out) => {
  // the fdstat (24 bytes) is written at address 0 of the guest's memory and put back after
  const memory = instance.exports.memory.buffer;
  const saved = new Uint8Array(memory, 0, 24).slice();
  if (fdstatGet(fd, 0) === 0) {
    const mayPass = new DataView(memory).getBigUint64(16, true);
    let asked = ALL & ~(READ | WRITE);
    if (base & READ) asked |= READ;
    if (base & WRITE) asked |= WRITE;
    base = asked & mayPass;
    inheriting = mayPass;
  }
  new Uint8Array(memory, 0, 24).set(saved);
  return pathOpen(fd, dirflags, path, len, oflags, base, inheriting, fdflags, out);
};
instance = await WebAssembly.instantiate(module, imports);
let code;
try {
  code = wasi.start(instance);
} catch (err) {
  writeSync(2, `plain node:wasi: ${err && err.message}\n`);
  code = 134;   // a trap, as the wasmtime CLI reports it
}
process.exit(code);
