// Run a WASI preview1 module (normally build/selfhost.wasm) under Node's node:wasi.
//
// Usage: node node_launcher.mjs CONFIG_JSON
//   CONFIG_JSON: {"module": path, "args": [argv0, ...], "env": {K: V},
//                 "preopens": [[hostPath, guestPath], ...]}
// stdin/stdout/stderr are this process's own. The exit code is the guest's.
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { WASI } from 'node:wasi';

function fail(message) {
  process.stderr.write(`selfhost node launcher: error: ${message}\n`);
  process.exit(2);
}

async function main() {
  if (process.argv.length !== 3) {
    fail('usage: node node_launcher.mjs CONFIG_JSON');
  }
  let config;
  try {
    config = JSON.parse(process.argv[2]);
  } catch (err) {
    fail(`bad config JSON: ${err.message}`);
  }
  let bytes;
  try {
    bytes = await readFile(config.module);
  } catch (err) {
    fail(`cannot read ${config.module}: ${err.message}`);
  }
  const wasi = new WASI({
    version: 'preview1',
    args: config.args || [],
    env: config.env || {},
    preopens: Object.fromEntries((config.preopens || []).map(([host, guest]) => [guest, host])),
    returnOnExit: true,
  });
  let instance;
  try {
    const module = await WebAssembly.compile(bytes);
    instance = await WebAssembly.instantiate(module, wasi.getImportObject());
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
    process.stderr.write(`selfhost node launcher: wasm trap: ${err.message}\n`);
    code = 134;
  }
  process.exitCode = code;
}

main();
