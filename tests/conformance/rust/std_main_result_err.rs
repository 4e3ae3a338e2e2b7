// conformance: stderr
// main returning Err: "Error: ..." on stderr and exit status 1.
include!("common.rs");

fn main() -> Result<(), String> {
    println!("about to fail");
    Err("it failed".to_string())
}
