// conformance: alone
// A panic (panic=abort on wasm32-wasi): the output before it is kept, the exit status is the
// host's for a trap.
include!("common.rs");

fn main() {
    println!("before the panic");
    let v: Vec<u32> = Vec::new();
    let i = std::env::args().count() + 5;
    println!("{}", v[i]);
}
