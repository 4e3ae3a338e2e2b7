// Tier 2's instrumented module under Node (V8), for tests/test_instrument.py: the helper
// imports in JavaScript, state in and out as JSON (memory in base64, globals, records).
//
//   node tier2_node.mjs JOB.json   ->  prints the result JSON
//
// JOB: {wasm, export: name of the function export, args: [numbers or "123n" i64 strings],
//       unwind_at: poll number (or null), budget, memory: base64 (or null), globals: {name: v},
//       state: 0 | 2, records: [[func, point, [values as strings]]] (rewind)}
// Out: {kind: "done" | "unwound", results: [...strings], records: [[func, point, [...]]],
//       memory: base64, globals: {name: v}, polls}
import fs from "node:fs";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const bytes = fs.readFileSync(job.wasm);
let polls = 0;
const spilled = [];
let cur = null;
const feed = job.records || [];
let next = 0;
let vals = null;
let pos = 0;
const helpers = {
  poll: () => (++polls === job.unwind_at ? 0 : job.budget),
  spill_begin: (f, p) => { cur = [f >>> 0, p >>> 0, []]; spilled.push(cur); },
  spill_i32: (v) => { cur[2].push(String(v >>> 0)); },
  spill_i64: (v) => { cur[2].push(BigInt.asUintN(64, v).toString()); },
  rewind_begin: (f) => {
    const r = feed[next++];
    if (!r || r[0] !== f) throw new Error("rewind_begin(" + f + "): next frame is " + (r && r[0]));
    vals = r[2]; pos = 0;
    return r[1];
  },
  rewind_i32: () => Number(BigInt.asIntN(32, BigInt(vals[pos++]))),
  rewind_i64: () => BigInt.asIntN(64, BigInt(vals[pos++])),
};
const { instance } = await WebAssembly.instantiate(bytes, { selfhost_tier2: helpers });
const ex = instance.exports;
const mem = ex.__selfhost_offload_m0;
if (job.memory) {
  const data = Buffer.from(job.memory, "base64");
  const grow = data.length / 65536 - mem.buffer.byteLength / 65536;
  if (grow > 0) mem.grow(grow);
  new Uint8Array(mem.buffer).set(data);
}
for (const [name, v] of Object.entries(job.globals || {})) {
  const g = ex[name];
  g.value = typeof g.value === "bigint" ? BigInt(v) : Number(v);
}
ex.__selfhost_t2_state.value = job.state || 0;
const args = job.args.map((a) => (typeof a === "string" ? BigInt(a) : a));
let results = ex[job.export](...args);
const out = { polls };
if (ex.__selfhost_t2_state.value === 1) {
  out.kind = "unwound";
  out.records = spilled;
} else {
  out.kind = "done";
  if (next !== feed.length || (vals && pos !== vals.length)) throw new Error("rewind not read whole");
  if (!Array.isArray(results)) results = results === undefined ? [] : [results];
  out.results = results.map((r) => String(r));
}
out.memory = Buffer.from(new Uint8Array(mem.buffer)).toString("base64");
out.globals = {};
for (const name of Object.keys(ex)) {
  if (name.startsWith("__selfhost_offload_g") && ex[name].value !== undefined) {
    try { const v = ex[name].value; out.globals[name] = String(v); } catch (e) { /* immutable */ }
  }
}
process.stdout.write(JSON.stringify(out));
