// conformance: stdin=@stdin_lines
// BufRead::lines over stdin: every line, in order.
include!("common.rs");
use std::io::BufRead;

fn main() {
    let stdin = std::io::stdin();
    let mut n = 0;
    let mut ok = true;
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        if line != format!("line {}", n) { ok = false; }
        n += 1;
    }
    println!("lines={} in order: {}", n, ok);
}
