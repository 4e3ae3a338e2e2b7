// std::process::abort after output: the exit status for an abort (a trap on wasm32-wasi).
include!("common.rs");
use std::io::Write;

fn main() {
    println!("before abort");
    std::io::stdout().flush().unwrap();
    std::process::abort();
}
