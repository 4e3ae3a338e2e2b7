// std::process::exit(42) after output: stdout flushed, status 42.
include!("common.rs");
use std::io::Write;

fn main() {
    print!("no newline before exit");
    std::io::stdout().flush().unwrap();
    std::process::exit(42);
}
