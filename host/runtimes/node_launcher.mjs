// Run a WASI preview1 module (normally build/selfhost.wasm) under Node's node:wasi.
//
// Usage: node node_launcher.mjs CONFIG.json   (written by host/runtimes/node.py)
//   CONFIG.json: {"module": path, "args": [argv0, ...], "env": {K: V},
//                 "preopens": [[hostPath, guestPath], ...], "offload": bool,
//                 "doorbell": selfhost/doorbell.py's PROTOCOL, "exit_codes": selfhost/exit_codes.py's ALL}
// stdin/stdout/stderr are this process's own. The exit code is the guest's. The doorbell's
// constants and the exit codes come from the config: this file holds no copy of them.
//
// stdio: node:wasi (uvwasi) reads and writes fds 0-2 with plain read()/write(). This file never
// touches process.stdin/stdout/stderr (nor imports 'node:process', whose namespace reads them
// all): creating those streams makes libuv set O_NONBLOCK on the fds, and then a guest writing
// faster than the reader drains a pipe gets EAGAIN and stops. If a descriptor is non-blocking
// anyway (shared with another process that set it), fd_read/fd_write on 0-2 wait and retry
// (retryStdio below): every byte arrives, with bounded memory.
// With $SELFHOST_STARTUP_TRACE set to a path, the times (seconds since the epoch) at which this
// process started, compiled the module and instantiated it are written there as JSON
// (bench/startup.py).
import { readFileSync, realpathSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WASI } from 'node:wasi';

function say(message) {
  try { writeSync(2, message); } catch (err) { /* stderr is gone: nothing to tell */ }
}

function fail(message) {
  say(`selfhost node launcher: error: ${message}\n`);
  process.exit(EXIT.usage);
}

// ---- hot-function offload: the host side of the doorbell (docs/doorbell.md) ----
// Mailbox at `offset` in selfhost.wasm's memory: u32 magic, op, status, n, then the payload
// (u64 words, or bytes). The guest's memory is a CPython bytearray read/written in place
// (its wasm32 PyByteArrayObject layout: PROTOCOL.bytearray_layout). Set from the config.
let MAGIC_FD, MAILBOX_MAGIC, OP_HELLO, OP_LOAD, OP_CALL, OP_FINISH, OP_TABLES;
let ST_OK, ST_ERROR, ST_TRAP, ST_GROW, ST_HELLO, ST_STACK, NULL_REF, PREFIX, BA_SIZE, BA_START;
let EXIT = { usage: 2 };   // until the config (with selfhost's exit codes) is read
function setProtocol(p, exitCodes) {
  ({ magic_fd: MAGIC_FD, mailbox_magic: MAILBOX_MAGIC, export_prefix: PREFIX } = p);
  ({ hello: OP_HELLO, load: OP_LOAD, call: OP_CALL, finish: OP_FINISH, tables: OP_TABLES } = p.ops);
  ({ ok: ST_OK, error: ST_ERROR, trap: ST_TRAP, grow: ST_GROW, hello: ST_HELLO, stack: ST_STACK } = p.status);
  NULL_REF = BigInt(p.null_ref);   // a hex string: exact as a BigInt
  [BA_SIZE, BA_START] = p.bytearray_layout;
  EXIT = exitCodes;
}
const [I32, I64, F32, F64] = [0x7F, 0x7E, 0x7D, 0x7C];
const scratch = new DataView(new ArrayBuffer(8));

function toJs(vt, b) {   // a raw u64 (BigInt) -> a JS value of type vt
  if (vt === I32) return Number(BigInt.asIntN(32, b));
  if (vt === I64) return BigInt.asIntN(64, b);
  if (vt === F32) { scratch.setUint32(0, Number(b & 0xFFFFFFFFn), true); return scratch.getFloat32(0, true); }
  scratch.setBigUint64(0, b, true); return scratch.getFloat64(0, true);
}
function toRaw(vt, v) {
  if (vt === I32) return BigInt.asUintN(32, BigInt(v));
  if (vt === I64) return BigInt.asUintN(64, BigInt(v));
  if (vt === F32) { scratch.setFloat32(0, v, true); return BigInt(scratch.getUint32(0, true)); }
  scratch.setFloat64(0, v, true); return scratch.getBigUint64(0, true);
}
const TRAPS = [['call stack', 'call stack exhausted'], ['out of bounds', 'out of bounds memory access'],
  ['divide by zero', 'integer divide by zero'], ['overflow', 'integer overflow'],
  ['conversion', 'invalid conversion to integer'], ['unreachable', 'unreachable'],
  ['null', 'uninitialized element'], ['signature', 'indirect call type mismatch']];

const offload = {
  native: null, types: null, mutable: null, pending: null,
  handle(instance, box, len) {
    const buf = instance.exports.memory.buffer;
    const dv = new DataView(buf);
    const reply = (status, payload = new Uint8Array(0)) => {
      const p = payload.subarray(0, Math.max(0, len - 16));
      dv.setUint32(box + 8, status, true);
      dv.setUint32(box + 12, p.length, true);
      new Uint8Array(buf, box + 16, p.length).set(p);
      return 0;
    };
    const words = (list) => {
      const out = new DataView(new ArrayBuffer(8 * list.length));
      list.forEach((w, i) => out.setBigUint64(8 * i, BigInt(w), true));
      return new Uint8Array(out.buffer);
    };
    try {
      if (dv.getUint32(box, true) !== MAILBOX_MAGIC) throw new Error('bad mailbox');
      const op = dv.getUint32(box + 4, true);
      const n = dv.getUint32(box + 12, true);
      const payload = box + 16;
      const w = (i) => dv.getBigUint64(payload + 8 * i, true);
      const bytearray = (obj, size) => {
        if (dv.getUint32(obj + BA_SIZE, true) !== size) throw new Error('unexpected bytearray layout');
        return dv.getUint32(obj + BA_START, true);
      };
      if (op === OP_HELLO) {
        const size = Number(w(1));
        const ptr = bytearray(Number(w(0)), size);
        const a = new Uint8Array(buf, ptr, size), b = new Uint8Array(buf, payload + 16, size);
        if (!a.every((x, i) => x === b[i])) throw new Error('unexpected bytearray layout');
        return reply(ST_HELLO);
      }
      if (op === OP_LOAD) {
        const rawLen = Number(w(0)), wasmLen = Number(w(1)), ninfo = Number(w(2));
        const start = payload + 24 + rawLen;
        const wasm = new Uint8Array(buf.slice(start, start + wasmLen));
        const info = [];
        const at = start + wasmLen;
        for (let i = 0; i < ninfo; i++) info.push(Number(dv.getBigUint64(at + 8 * i, true)));
        let k = 0;
        const nf = info[k++];
        this.types = [];
        for (let f = 0; f < nf; f++) {
          const np = info[k++]; const params = info.slice(k, k + np); k += np;
          const nr = info[k++]; const results = info.slice(k, k + nr); k += nr;
          this.types.push({ params, results });
        }
        const nm = info[k++];
        this.mutableTypes = info.slice(k, k + nm);
        this.mod = new WebAssembly.Module(wasm);
        this.instantiate();
        return reply(ST_OK);
      }
      const ex = this.native;
      if (op === OP_TABLES) {
        let pos = 1;
        for (let t = 0; t < Number(w(0)); t++) {
          const size = Number(w(pos));
          const table = ex[PREFIX + 't' + t];
          if (table.length < size) table.grow(size - table.length);
          for (let j = 0; j < size; j++) {
            const idx = w(pos + 1 + j);
            table.set(j, idx === NULL_REF ? null : ex[PREFIX + 'f' + idx]);
          }
          pos += 1 + size;
        }
        return reply(ST_OK);
      }
      if (op === OP_CALL) {
        // words: func, flags (1: memory in, 2: memory back), bytearray, size, nargs, args,
        // n_in, (mutable-global position, value) x n_in, n_out, positions x n_out
        const func = Number(w(0)), flags = Number(w(1)), obj = Number(w(2)), size = Number(w(3));
        const nargs = Number(w(4));
        const ft = this.types[func];
        const args = ft.params.map((vt, i) => toJs(vt, w(5 + i)));
        let p = 5 + nargs;
        const nIn = Number(w(p));
        if (this.memory && (flags & 1)) {
          const have = this.memory.buffer.byteLength;
          if (have < size) this.memory.grow((size - have) >> 16);
          new Uint8Array(this.memory.buffer, 0, size).set(new Uint8Array(buf, bytearray(obj, size), size));
        }
        for (let i = 0; i < nIn; i++) {
          const q = Number(w(p + 1 + 2 * i));
          this.mutableGlobals[q].value = toJs(this.mutableTypes[q], w(p + 2 + 2 * i));
        }
        p += 1 + 2 * nIn;
        const gOut = [];
        for (let i = 0; i < Number(w(p)); i++) gOut.push(Number(w(p + 1 + i)));
        let out;
        const t0 = process.hrtime.bigint();
        let t1;
        try {
          let r = ex[PREFIX + 'f' + func](...args);
          t1 = process.hrtime.bigint();
          r = ft.results.length === 0 ? [] : (ft.results.length === 1 ? [r] : r);
          out = [ST_OK, ft.results.map((vt, i) => toRaw(vt, r[i]))];
        } catch (err) {
          t1 = process.hrtime.bigint();
          if (err instanceof RangeError && /call stack/i.test(String(err.message))) {
            // V8's stack is far smaller than the interpreter's: nothing copied back, a fresh
            // instance for the next call (its memory may have grown); the guest re-runs the call
            this.instantiate();
            return reply(ST_STACK, new TextEncoder().encode('call stack exhausted'));
          }
          if (!(err instanceof WebAssembly.RuntimeError) && !(err instanceof RangeError)) throw err;
          const m = String(err.message).toLowerCase();
          const hit = TRAPS.find(([key]) => m.includes(key));
          out = [ST_TRAP, new TextEncoder().encode(hit ? hit[1] : err.message)];
        }
        const tail = gOut.map((q) => toRaw(this.mutableTypes[q], this.mutableGlobals[q].value));
        tail.push(t1 - t0);
        this.pending = [out, tail, flags];
        const newSize = this.memory ? this.memory.buffer.byteLength : 0;
        if (newSize > size && (flags & 2)) return reply(ST_GROW, words([newSize]));
        return this.finish(buf, reply, words, obj, size);
      }
      if (op === OP_FINISH) return this.finish(buf, reply, words, Number(w(0)), Number(w(1)));
      throw new Error(`unknown request ${op}`);
    } catch (err) {
      return reply(ST_ERROR, new TextEncoder().encode(String(err && err.message)));
    }
  },
  instantiate() {   // a native instance of this.mod (import stubs trap: never reached)
    const imports = {};
    for (const imp of WebAssembly.Module.imports(this.mod)) {
      imports[imp.module] = imports[imp.module] || {};
      imports[imp.module][imp.name] = () => { throw new Error(`offloaded code called ${imp.name}`); };
    }
    const ex = new WebAssembly.Instance(this.mod, imports).exports;
    this.native = ex;
    this.memory = ex[PREFIX + 'm0'] || null;
    this.mutableGlobals = [];
    for (let i = 0; ex[PREFIX + 'g' + i]; i++) {
      const g = ex[PREFIX + 'g' + i];
      try { const v = g.value; g.value = v; this.mutableGlobals.push(g); } catch (e) { /* immutable */ }
    }
  },
  finish(buf, reply, words, obj, size) {
    const dv = new DataView(buf);
    const [[status, res], tail, flags] = this.pending;
    this.pending = null;
    if (this.memory && (flags & 2)) {
      const ptr = dv.getUint32(obj + BA_START, true);
      new Uint8Array(buf, ptr, size).set(new Uint8Array(this.memory.buffer, 0, size));
    }
    if (status !== ST_OK) return reply(status, res);
    return reply(ST_OK, words([res.length, ...res, ...tail]));
  },
};

// ---- path_symlink in a preopen, as wasmtime does it ----
// uvwasi refuses a symlink whose target, resolved against the preopen's root, leaves the
// preopen (ENOTCAPABLE): e.g. symlinkat("../secret.txt", d, "link"), or "../x" from "sub/link"
// even when that stays inside. wasmtime (the reference) stores any relative target verbatim and
// sandboxes only the *following* of the link, and refuses absolute targets with EPERM. For a
// preopened dir fd this creates the link itself; only the link's own path is sandboxed (it must
// resolve inside the preopen). Other fds go to uvwasi: selfhost.wasm makes every link through a
// preopen (wasi-libc turns its absolute host paths into preopen fd + relative path).
const ERRNO = { EACCES: 2, EEXIST: 20, EINVAL: 28, EIO: 29, ELOOP: 32, ENAMETOOLONG: 37,
  ENOENT: 44, ENOSPC: 51, ENOTDIR: 54, EPERM: 63, EROFS: 69 };
const ESUCCESS = 0;

function isInside(root, p) {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel));
}

function errnoOf(err) {
  if (err && err.code === 'ERR_INVALID_ARG_VALUE') return ERRNO.EINVAL;   // e.g. a NUL byte
  return ERRNO[err && err.code] ?? ERRNO.EIO;
}

function symlinkInPreopen(root, target, linkPath) {
  if (target.length > 0 && target[0] === 0x2F) return ERRNO.EPERM;   // absolute target
  if (linkPath.startsWith('/')) return ERRNO.EPERM;
  try {
    const realRoot = realpathSync(root);
    const joined = path.join(realRoot, linkPath);
    if (!isInside(realRoot, joined)) return ERRNO.EPERM;              // ".." climbs out
    if (joined === realRoot) return ERRNO.EEXIST;                     // "" or "."
    const parent = realpathSync(path.dirname(joined));
    if (!isInside(realRoot, parent)) return ERRNO.EPERM;              // via a symlinked dir
    const slash = linkPath.endsWith('/') ? '/' : '';               // the OS judges "name/"
    symlinkSync(target, path.join(parent, path.basename(joined)) + slash);
    return ESUCCESS;
  } catch (err) {
    return errnoOf(err);
  }
}

// Shadow path_symlink for the preopened fds (3, 4, ... in the order node:wasi got them),
// following fd_close/fd_renumber so that a reused fd number is not taken for a preopen.
function shadowSymlink(w, preopens, memory) {
  const dirs = new Map(Object.values(preopens).map((host, i) => [3 + i, host]));
  const { path_symlink: symlink, fd_close: close, fd_renumber: renumber } = w;
  w.path_symlink = (oldPtr, oldLen, fd, newPtr, newLen) => {
    const root = dirs.get(fd);
    const bytes = new Uint8Array(memory().buffer);
    const linkPath = Buffer.from(bytes.subarray(newPtr, newPtr + newLen)).toString();
    if (root === undefined || linkPath.includes('\uFFFD')) {   // not a preopen, or not UTF-8
      return symlink(oldPtr, oldLen, fd, newPtr, newLen);
    }
    return symlinkInPreopen(root, Buffer.from(bytes.subarray(oldPtr, oldPtr + oldLen)), linkPath);
  };
  w.fd_close = (fd) => {
    const r = close(fd);
    if (r === ESUCCESS) dirs.delete(fd);
    return r;
  };
  w.fd_renumber = (from, to) => {
    const r = renumber(from, to);
    if (r === ESUCCESS && from !== to) {
      dirs.delete(to);
      if (dirs.has(from)) dirs.set(to, dirs.get(from));
      dirs.delete(from);
    }
    return r;
  };
}

// ---- the start-up trace (bench/startup.py) ----
const now = () => (performance.timeOrigin + performance.now()) / 1000;
const marks = { started: performance.timeOrigin / 1000 };

function writeTrace() {
  if (process.env.SELFHOST_STARTUP_TRACE) {
    writeFileSync(process.env.SELFHOST_STARTUP_TRACE, JSON.stringify(marks));
  }
}

// ---- stdio on a non-blocking descriptor: wait and retry instead of failing with EAGAIN ----
const WASI_EAGAIN = 6;
const pause = new Int32Array(new SharedArrayBuffer(4));

function retryStdio(w) {
  for (const name of ['fd_read', 'fd_write']) {
    const call = w[name];
    w[name] = (fd, iovs, iovsLen, nPtr) => {
      let r = call(fd, iovs, iovsLen, nPtr);
      for (let ms = 1; r === WASI_EAGAIN && fd <= 2; ms = Math.min(2 * ms, 50)) {
        Atomics.wait(pause, 0, 0, ms);     // nothing was transferred: try the same call again
        r = call(fd, iovs, iovsLen, nPtr);
      }
      return r;
    };
  }
}

async function main() {
  marks.main = now();
  if (process.argv.length !== 3) {
    fail('usage: node node_launcher.mjs CONFIG.json');
  }
  let config;
  try {
    config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  } catch (err) {
    fail(`bad config ${process.argv[2]}: ${err.message}`);
  }
  setProtocol(config.doorbell, config.exit_codes);
  let bytes;
  try {
    bytes = await readFile(config.module);
  } catch (err) {
    fail(`cannot read ${config.module}: ${err.message}`);
  }
  const preopens = Object.fromEntries((config.preopens || []).map(([host, guest]) => [guest, host]));
  const wasi = new WASI({
    version: 'preview1',
    args: config.args || [],
    env: config.env || {},
    preopens,
    returnOnExit: true,
  });
  let instance;
  try {
    const module = await WebAssembly.compile(bytes);
    marks.loaded = now();
    const imports = wasi.getImportObject();
    retryStdio(imports.wasi_snapshot_preview1);
    shadowSymlink(imports.wasi_snapshot_preview1, preopens, () => instance.exports.memory);
    if (config.offload !== false) {
      // hot-function offload: answer selfhost.wasm's fd_advise doorbell (see offload below)
      const w = imports.wasi_snapshot_preview1;
      const original = w.fd_advise;
      // (length 0 is the guest's ping, DoorbellNative.connect: just "yes")
      w.fd_advise = (fd, offset, len, advice) => (fd === MAGIC_FD
        ? (Number(len) === 0 ? 0 : offload.handle(instance, Number(offset), Number(len)))
        : original(fd, offset, len, advice));
    }
    instance = await WebAssembly.instantiate(module, imports);
    marks.instantiated = now();
  } catch (err) {
    fail(`cannot load ${config.module}: ${err.message}`);
  }
  let code;
  try {
    code = wasi.start(instance);
  } catch (err) {
    if (!(err instanceof WebAssembly.RuntimeError)) {
      fail(err && err.message);
    }
    // A trap inside the guest: report it, with wasmtime's exit code for traps.
    say(`selfhost node launcher: wasm trap: ${err.message}\n`);
    code = EXIT.trap;
  }
  marks.returned = now();
  writeTrace();
  process.exit(code);
}

main();
