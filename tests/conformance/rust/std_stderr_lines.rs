// conformance: alone
// conformance: stderr
// eprintln! and println! interleaved: each stream in order.
include!("common.rs");

fn main() {
    for i in 0..300 {
        println!("out {}", i);
        eprintln!("err {}", i);
    }
}
