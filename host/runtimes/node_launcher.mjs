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
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, linkSync, mkdirSync, openSync,
  readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, statSync, symlinkSync,
  unlinkSync, writeFileSync, writeSync } from 'node:fs';
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
let MAGIC_FD, MAILBOX_MAGIC, OP_HELLO, OP_LOAD, OP_CALL, OP_FINISH, OP_TABLES, OP_FETCH;
let OP_POINTS, OP_LOOKUP, OP_KEEP, HOST_KEEPS;
let ST_OK, ST_ERROR, ST_TRAP, ST_GROW, ST_HELLO, ST_STACK, ST_UNWOUND, ST_MORE;
let NULL_REF, PREFIX, BA_SIZE, BA_START, T2;
let EXIT = { usage: 2 };   // until the config (with selfhost's exit codes) is read
function setProtocol(p, exitCodes, wasiErrno) {
  ({ magic_fd: MAGIC_FD, mailbox_magic: MAILBOX_MAGIC, export_prefix: PREFIX } = p);
  ({ hello: OP_HELLO, load: OP_LOAD, call: OP_CALL, finish: OP_FINISH, tables: OP_TABLES,
    fetch: OP_FETCH, points: OP_POINTS, lookup: OP_LOOKUP, keep: OP_KEEP } = p.ops);
  HOST_KEEPS = p.host_keeps;
  ({ ok: ST_OK, error: ST_ERROR, trap: ST_TRAP, grow: ST_GROW, hello: ST_HELLO, stack: ST_STACK,
    unwound: ST_UNWOUND, more: ST_MORE } = p.status);
  T2 = p.tier2;
  NULL_REF = BigInt(p.null_ref);   // a hex string: exact as a BigInt
  [BA_SIZE, BA_START] = p.bytearray_layout;
  EXIT = exitCodes;
  ERRNO = wasiErrno;
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

// Tier 2 (the app instrumented by the guest, interp/instrument.py): the helper imports. The
// guest cannot be asked while native code runs, so a poll stops on what the call said (a
// wall-clock deadline, the trigger file: config.trigger, its host path); the guest confirms the
// stop or goes on natively (selfhost/doorbell.py DoorbellTier2). Spilled frames are recorded
// here and sent back with status `unwound`; a call carrying records rewinds them.
const tier2 = {
  trigger: null, deadlineMs: null, watch: false, budget: 0, last: 0, polls: 0,
  spilled: [], feed: null, feedNext: 0, values: null, pos: 0,
  imports() {
    return {
      poll: () => {
        this.polls++;
        const now = performance.now();
        if ((this.deadlineMs !== null && Date.now() >= this.deadlineMs)
            || (this.watch && existsSync(this.trigger))) {
          this.last = now;
          return 0;
        }
        const elapsed = Math.max(now - this.last, 1e-4);
        this.budget = Math.max(1, Math.min(T2.max_budget,
          Math.floor(this.budget * T2.poll_interval * 1000 / elapsed)));
        this.last = now;
        return this.budget;
      },
      spill_begin: (f, p) => { this.spilled.push([f >>> 0, p >>> 0, []]); },
      spill_i32: (v) => { this.spilled[this.spilled.length - 1][2].push(BigInt(v >>> 0)); },
      spill_i64: (v) => { this.spilled[this.spilled.length - 1][2].push(BigInt.asUintN(64, v)); },
      rewind_begin: (f) => {
        const r = this.feed[this.feedNext++];
        if (!r || r[0] !== (f >>> 0)) throw new Error(`rewind_begin(${f}): not the next frame`);
        this.values = r[2];
        this.pos = 0;
        return r[1];
      },
      rewind_i32: () => Number(BigInt.asIntN(32, this.values[this.pos++])),
      rewind_i64: () => BigInt.asIntN(64, this.values[this.pos++]),
    };
  },
};

// What the guest instrumented, kept for the next run of the same app (config.tier2_cache):
// files NAME.wasm (the instrumented module) and NAME.points (the guest's safe-point map: count,
// then per function its length and points_to_words' words), NAME = SHA-256 of selfhost.wasm's
// hash (the instrumenter) and the guest's key (the app and its tier-2 request).
const kept = {
  dir: null, selfhost: '', name: null, wasm: null, loaded: null, points: new Map(),
  lookup(key) {
    this.name = createHash('sha256').update(this.selfhost + Buffer.from(key).toString('hex'))
      .digest('hex');
    try {
      const wasm = readFileSync(path.join(this.dir, this.name + '.wasm'));
      const blob = readFileSync(path.join(this.dir, this.name + '.points'));
      const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
      const map = new Map();
      let pos = 8;
      for (let i = 0, n = Number(dv.getBigUint64(0, true)); i < n; i++) {
        const k = Number(dv.getBigUint64(pos, true));
        const entry = new Uint8Array(blob.subarray(pos + 8, pos + 8 + 8 * k));
        map.set(Number(dv.getBigUint64(pos + 16, true)), entry);   // (words 0, 1: flag, func)
        pos += 8 + 8 * k;
      }
      if (pos !== blob.byteLength) return false;
      [this.wasm, this.points] = [new Uint8Array(wasm), map];
      return true;
    } catch (err) {
      return false;           // not kept (or unreadable): the guest instruments it
    }
  },
  keep(points) {
    if (!this.name || !this.loaded) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      for (const [suffix, data] of [['.wasm', this.loaded], ['.points', points]]) {
        const file = path.join(this.dir, this.name + suffix);
        writeFileSync(file + '.tmp' + process.pid, data);
        renameSync(file + '.tmp' + process.pid, file);
      }
      const old = readdirSync(this.dir).filter((f) => f.endsWith('.points'))
        .map((f) => [statSync(path.join(this.dir, f)).mtimeMs, f]).sort((a, b) => b[0] - a[0]);
      for (const [, f] of old.slice(16)) {
        for (const s of ['.points', '.wasm']) {
          try { unlinkSync(path.join(this.dir, f.slice(0, -7) + s)); } catch (err) { /* gone */ }
        }
      }
    } catch (err) {
      /* a cache that cannot be written is only slower */
    }
  },
};

const offload = {
  native: null, types: null, mutable: null, pending: null, unsent: null, instrumented: false,
  handle(instance, box, len) {
    const buf = instance.exports.memory.buffer;
    const dv = new DataView(buf);
    const reply = (status, payload = new Uint8Array(0)) => {
      if (payload.length > len - 16 && (status === ST_OK || status === ST_UNWOUND)) {
        this.unsent = [status, payload];   // too long for the mailbox: the guest FETCHes it
        const more = new DataView(new ArrayBuffer(8));
        more.setBigUint64(0, BigInt(payload.length), true);
        status = ST_MORE;
        payload = new Uint8Array(more.buffer);
      }
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
      if (op === OP_FETCH) {
        const [status, data] = this.unsent;
        this.unsent = null;
        return reply(status, data);
      }
      const bytearray = (obj, size) => {
        if (dv.getUint32(obj + BA_SIZE, true) !== size) throw new Error('unexpected bytearray layout');
        return dv.getUint32(obj + BA_START, true);
      };
      if (op === OP_HELLO) {
        const size = Number(w(1));
        const ptr = bytearray(Number(w(0)), size);
        const a = new Uint8Array(buf, ptr, size), b = new Uint8Array(buf, payload + 16, size);
        if (!a.every((x, i) => x === b[i])) throw new Error('unexpected bytearray layout');
        return reply(ST_HELLO, words([kept.dir ? HOST_KEEPS : 0]));
      }
      if (op === OP_LOOKUP) {   // has an earlier run kept this app's instrumentation?
        return reply(ST_OK, words([kept.lookup(new Uint8Array(buf.slice(payload, payload + 32)))
          ? 1 : 0]));
      }
      if (op === OP_KEEP) {     // the guest's safe-point map of the module it just loaded
        kept.keep(new Uint8Array(buf.slice(payload + 32, payload + n)));
        return reply(ST_OK);
      }
      if (op === OP_POINTS) {
        return reply(ST_OK, kept.points.get(Number(w(0))) || words([0]));
      }
      if (op === OP_LOAD) {
        const rawLen = Number(w(0)), wasmLen = Number(w(1)), ninfo = Number(w(2));
        const start = payload + 24 + rawLen;
        let wasm = new Uint8Array(buf.slice(start, start + wasmLen));
        if (wasmLen === 0 && kept.wasm) wasm = kept.wasm;   // (LOOKUP found it)
        kept.loaded = wasm;
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
        k += nm;
        this.instrumented = info[k] === 1;   // the tier-2 flag (the guest instrumented the app)
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
        p += 1 + gOut.length;
        if (p < n / 8) {     // tier 2: deadline (ns, 0: none), trigger counts, rewind records
          const deadline = w(p);
          tier2.deadlineMs = deadline === 0n ? null : Number(deadline) / 1e6;
          tier2.watch = w(p + 1) !== 0n && !!tier2.trigger;
          const nrec = Number(w(p + 2));
          let q = p + 3;
          tier2.feed = [];
          tier2.feedNext = 0;
          for (let i = 0; i < nrec; i++) {
            const nv = Number(w(q + 2));
            const values = [];
            for (let j = 0; j < nv; j++) values.push(w(q + 3 + j));
            tier2.feed.push([Number(w(q)), Number(w(q + 1)), values]);
            q += 3 + nv;
          }
          if (nrec) ex[T2.state_export].value = T2.state_rewind;
        }
        let out;
        const t0 = process.hrtime.bigint();
        let t1;
        try {
          let r = ex[PREFIX + 'f' + func](...args);
          t1 = process.hrtime.bigint();
          r = ft.results.length === 0 ? [] : (ft.results.length === 1 ? [r] : r);
          out = tier2.spilled.length ? [ST_UNWOUND, []]
            : [ST_OK, ft.results.map((vt, i) => toRaw(vt, r[i]))];
        } catch (err) {
          t1 = process.hrtime.bigint();
          if (this.instrumented) ex[T2.state_export].value = T2.state_normal;
          tier2.spilled = [];
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
        if (tier2.feed !== null) tail.push(BigInt(tier2.polls));   // a tier 2 call: polls so far
        if (out[0] === ST_UNWOUND) {   // records innermost first: count, (func, point, n, values)
          ex[T2.state_export].value = T2.state_normal;
          ex[T2.ctr_export].value = 1;
          tail.push(BigInt(tier2.spilled.length));
          for (const [f, pt, values] of tier2.spilled) tail.push(BigInt(f), BigInt(pt), BigInt(values.length), ...values);
          tier2.spilled = [];
        }
        tier2.feed = null;
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
    if (this.instrumented) imports[T2.import_module] = tier2.imports();
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
    if (status !== ST_OK && status !== ST_UNWOUND) return reply(status, res);
    return reply(status, words([res.length, ...res, ...tail]));
  },
};

// ---- directories held as OS fds: no guest path is ever resolved by name (Linux) ----
// uvwasi keeps a directory fd as a path string and resolves every call by name ("/box/a" +
// "/" + name), so a directory swapped for a symlink on the host between two calls takes the
// next call outside the preopen (a time-of-check/time-of-use gap), and its path_open follows
// a final symlink whatever the lookup flags say. selfhost.wasm asks its host for one plain
// name at a time relative to a directory fd (interp/wasi/hostfs.py), so this launcher keeps an
// OS fd of its own for every directory fd and does those calls itself through
// /proc/self/fd/N/NAME: the kernel follows the magic link N to the open directory itself (as
// openat does), then looks up NAME, O_NOFOLLOW (mkdir, rmdir, unlink, rename and link of a
// name likewise). A file or directory opened that way is handed to uvwasi by reopening
// /proc/self/fd/M through a hidden preopen of /proc/self/fd (hidden from the guest:
// fd_prestat_get and every call naming it answer EBADF), so uvwasi's record of a directory is
// "/proc/PID/fd/M" too, and its own calls on it stay on that directory. Without /proc (not
// Linux) uvwasi does everything, as before.
// path_symlink as wasmtime does it: uvwasi refuses a relative target that, resolved against
// the preopen's root, leaves it (ENOTCAPABLE); wasmtime stores any relative target verbatim
// (only the *following* of a link is sandboxed) and refuses an absolute target with EPERM.
let ERRNO = {};   // WASI errno by POSIX name, from the config (interp/wasi/abi.py owns it)
const ESUCCESS = 0;
const PROC_FDS = '/proc/self/fd';
const HIDDEN_GUEST = '/.selfhost-host-fds';
// WASI constants (the witx of preview1)
const LOOKUP_FOLLOW = 1;
const O_CREAT = 1, O_DIR = 2, O_EXCL = 4, O_TRUNC = 8;
const FD_APPEND = 1, FD_DSYNC = 2, FD_NONBLOCK = 4, FD_RSYNC = 8, FD_SYNC = 16;
const R_FD_DATASYNC = 1n << 0n, R_FD_READ = 1n << 1n, R_FD_WRITE = 1n << 6n;
const R_FD_ALLOCATE = 1n << 8n, R_FD_READDIR = 1n << 14n, R_FD_FILESTAT_SET_SIZE = 1n << 22n;

function isInside(root, p) {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel));
}

function errnoOf(err) {
  if (err && err.code === 'ERR_INVALID_ARG_VALUE') return ERRNO.EINVAL;   // e.g. a NUL byte
  return ERRNO[err && err.code] ?? ERRNO.EIO;
}

function isPlainName(name) {   // one component: what selfhost.wasm's host calls almost always are
  // ("." too: selfhost reopens a directory it walked to as "." in it)
  return name !== '' && name !== '..' && !name.includes('/')
    && !name.includes('\0') && !name.includes('\uFFFD');
}

// NAME below a held directory as a path through its OS fd, or null (uvwasi answers). A name
// of several components (selfhost opens a preopen given as a longer path so) is normalized as
// uvwasi does it, ".." climbing out refused by uvwasi; its directories are followed by the
// kernel from the held one, as uvwasi would follow them from the preopen's path.
function heldPath(held, fd, name) {
  if (!held.has(fd)) return null;
  if (!isPlainName(name)) {
    if (name === '' || name.startsWith('/') || name.includes('\0') || name.includes('\uFFFD')) return null;
    name = path.posix.normalize(name);
    if (name === '..' || name.startsWith('../')) return null;
  }
  return `${PROC_FDS}/${held.get(fd)}/${name}`;
}

// The OS open flags uvwasi's path_open derives from the same arguments.
function openFlags(lookup, oflags, rights, fdflags) {
  const read = (rights & (R_FD_READ | R_FD_READDIR)) !== 0n;
  const write = (rights & (R_FD_DATASYNC | R_FD_WRITE | R_FD_ALLOCATE
                           | R_FD_FILESTAT_SET_SIZE)) !== 0n;
  let f = write ? (read ? constants.O_RDWR : constants.O_WRONLY) : constants.O_RDONLY;
  if (oflags & O_CREAT) f |= constants.O_CREAT;
  if (oflags & O_DIR) f |= constants.O_DIRECTORY;
  if (oflags & O_EXCL) f |= constants.O_EXCL;
  if (oflags & O_TRUNC) f |= constants.O_TRUNC;
  if (fdflags & FD_APPEND) f |= constants.O_APPEND;
  if (fdflags & FD_DSYNC) f |= constants.O_DSYNC;
  if (fdflags & FD_NONBLOCK) f |= constants.O_NONBLOCK;
  if (fdflags & (FD_RSYNC | FD_SYNC)) f |= constants.O_SYNC;
  if (!(lookup & LOOKUP_FOLLOW)) f |= constants.O_NOFOLLOW;
  return f;
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

// Shadows path_open, path_symlink, the calls that change a name, fd_close and fd_renumber of
// node:wasi's
// imports `w`. `preopens` maps guest names to host paths in the order node:wasi numbers them
// (3, 4, ...); when /proc/self/fd exists it ends with the hidden one (fd `hidden`).
function shadowDirectories(w, preopens, hidden, memory) {
  const roots = new Map(Object.values(preopens).map((host, i) => [3 + i, host]));
  const held = new Map();        // guest-visible directory fd -> this process's OS fd
  if (hidden !== null) {
    roots.delete(hidden);
    for (const [fd, host] of roots) {
      try {
        held.set(fd, openSync(host, constants.O_RDONLY | constants.O_DIRECTORY));
      } catch (err) { /* not a directory: uvwasi answers for it */ }
    }
  }
  const orig = { ...w };
  const bytes = () => new Uint8Array(memory().buffer);
  const text = (ptr, len) => Buffer.from(bytes().subarray(ptr, ptr + len)).toString();

  // uvwasi's path_open of HIDDEN/"<osfd>": uvwasi's own fd for what osfd is open on
  const adopt = (osfd, oflags, rights, inheriting, fdflags, fdOut) => {
    const digits = Buffer.from(String(osfd));
    const mem = bytes();
    const at = fdOut + 4 + digits.length <= mem.length ? fdOut + 4 : fdOut - digits.length;
    const saved = Buffer.from(mem.subarray(at, at + digits.length));
    mem.set(digits, at);
    // lookup flags 0: uvwasi reads no link, and its open (no O_NOFOLLOW) follows the magic one
    const r = orig.path_open(hidden, 0, at, digits.length, oflags & O_DIR,
                             rights, inheriting, fdflags, fdOut);
    bytes().set(saved, at);
    return r;
  };
  const forgetHeld = (fd) => {
    if (held.has(fd)) { try { closeSync(held.get(fd)); } catch (err) { /* already gone */ } }
    held.delete(fd);
  };

  w.path_open = (dirfd, lookup, pathPtr, pathLen, oflags, rights, inheriting, fdflags, fdOut) => {
    if (dirfd === hidden) return ERRNO.EBADF;
    const where = heldPath(held, dirfd, text(pathPtr, pathLen));
    if (where === null) {
      return orig.path_open(dirfd, lookup, pathPtr, pathLen, oflags, rights, inheriting,
                            fdflags, fdOut);
    }
    let osfd;
    try {
      osfd = openSync(where,
                      openFlags(lookup, oflags, BigInt(rights), fdflags) | constants.O_CLOEXEC, 0o666);
    } catch (err) {
      return errnoOf(err);
    }
    let isDir = false;
    try { isDir = fstatSync(osfd).isDirectory(); } catch (err) { /* judged by uvwasi below */ }
    const r = adopt(osfd, oflags, rights, inheriting, fdflags, fdOut);
    if (r !== ESUCCESS || !isDir) {
      closeSync(osfd);
      return r;
    }
    const fd = new DataView(memory().buffer).getUint32(fdOut, true);
    forgetHeld(fd);
    held.set(fd, osfd);
    return ESUCCESS;
  };
  w.path_symlink = (oldPtr, oldLen, fd, newPtr, newLen) => {
    if (fd === hidden) return ERRNO.EBADF;
    const linkPath = text(newPtr, newLen);
    const target = Buffer.from(bytes().subarray(oldPtr, oldPtr + oldLen));
    if (held.has(fd) && isPlainName(linkPath)) {
      if (target.length > 0 && target[0] === 0x2F) return ERRNO.EPERM;   // absolute target
      try {
        symlinkSync(target, `${PROC_FDS}/${held.get(fd)}/${linkPath}`);
        return ESUCCESS;
      } catch (err) {
        return errnoOf(err);
      }
    }
    if (!roots.has(fd) || linkPath.includes('\uFFFD')) {   // not a preopen, or not UTF-8
      return orig.path_symlink(oldPtr, oldLen, fd, newPtr, newLen);
    }
    return symlinkInPreopen(roots.get(fd), target, linkPath);
  };
  // the calls that change a name: on a held directory through its OS fd, as path_open
  const at = (fd, ptr, len) => heldPath(held, fd, text(ptr, len));
  const byName = (call, fsCall) => (fd, ptr, len) => {
    if (fd === hidden) return ERRNO.EBADF;
    const where = at(fd, ptr, len);
    if (where === null) return call(fd, ptr, len);
    try { fsCall(where); return ESUCCESS; } catch (err) { return errnoOf(err); }
  };
  w.path_create_directory = byName(orig.path_create_directory, (p) => mkdirSync(p, 0o777));
  w.path_remove_directory = byName(orig.path_remove_directory, rmdirSync);
  w.path_unlink_file = byName(orig.path_unlink_file, unlinkSync);
  w.path_rename = (fd, oldPtr, oldLen, newFd, newPtr, newLen) => {
    if (fd === hidden || newFd === hidden) return ERRNO.EBADF;
    const from = at(fd, oldPtr, oldLen), to = at(newFd, newPtr, newLen);
    if (from === null || to === null) return orig.path_rename(fd, oldPtr, oldLen, newFd, newPtr, newLen);
    try { renameSync(from, to); return ESUCCESS; } catch (err) { return errnoOf(err); }
  };
  w.path_link = (fd, flags, oldPtr, oldLen, newFd, newPtr, newLen) => {
    if (fd === hidden || newFd === hidden) return ERRNO.EBADF;
    const from = at(fd, oldPtr, oldLen), to = at(newFd, newPtr, newLen);
    if (from === null || to === null || (flags & LOOKUP_FOLLOW)) {
      return orig.path_link(fd, flags, oldPtr, oldLen, newFd, newPtr, newLen);
    }
    try { linkSync(from, to); return ESUCCESS; } catch (err) { return errnoOf(err); }
  };
  w.fd_close = (fd) => {
    if (fd === hidden) return ERRNO.EBADF;
    const r = orig.fd_close(fd);
    if (r === ESUCCESS) { roots.delete(fd); forgetHeld(fd); }
    return r;
  };
  w.fd_renumber = (from, to) => {
    if (from === hidden || to === hidden) return ERRNO.EBADF;
    const r = orig.fd_renumber(from, to);
    if (r === ESUCCESS && from !== to) {
      roots.delete(to);
      forgetHeld(to);
      if (roots.has(from)) roots.set(to, roots.get(from));
      if (held.has(from)) held.set(to, held.get(from));
      roots.delete(from);
      held.delete(from);
    }
    return r;
  };
  if (hidden === null) return;
  // the hidden preopen: no call of the guest's reaches it
  for (const [name, call] of Object.entries(orig)) {
    if (typeof call !== 'function' || w[name] !== call) continue;
    const fdArgs = name === 'path_rename' ? [0, 3] : name === 'path_link' ? [0, 4]
      : (name.startsWith('fd_') || name.startsWith('path_') || name.startsWith('sock_')) ? [0] : [];
    if (fdArgs.length === 0) continue;
    w[name] = (...args) => (fdArgs.some((i) => args[i] === hidden) ? ERRNO.EBADF : call(...args));
  }
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
  setProtocol(config.doorbell, config.exit_codes, config.wasi_errno);
  tier2.trigger = config.trigger || null;
  kept.dir = config.tier2_cache || null;
  kept.selfhost = config.selfhost_hash || '';
  tier2.budget = T2.first_budget;
  let bytes;
  try {
    bytes = await readFile(config.module);
  } catch (err) {
    fail(`cannot read ${config.module}: ${err.message}`);
  }
  const preopens = Object.fromEntries((config.preopens || []).map(([host, guest]) => [guest, host]));
  let hidden = null;   // the fd of the hidden /proc/self/fd preopen (shadowDirectories)
  if (existsSync(PROC_FDS) && !(HIDDEN_GUEST in preopens)) {
    hidden = 3 + Object.keys(preopens).length;
    preopens[HIDDEN_GUEST] = PROC_FDS;
  }
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
    shadowDirectories(imports.wasi_snapshot_preview1, preopens, hidden, () => instance.exports.memory);
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
