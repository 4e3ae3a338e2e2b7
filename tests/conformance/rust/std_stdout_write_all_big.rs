// conformance: alone
// One write_all of 4 MiB to stdout (one fd_write call that the host may cut short).
include!("common.rs");
use std::io::Write;

fn main() {
    let mut data = vec![b'a'; 4 << 20];
    for i in (99..data.len()).step_by(100) { data[i] = b'\n'; }
    std::io::stdout().write_all(&data).unwrap();
    println!("\ndone");
}
