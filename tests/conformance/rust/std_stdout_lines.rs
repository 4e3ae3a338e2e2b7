// conformance: alone
// 5,000 println! lines (about 80 KB) through Rust's line-buffered stdout.
include!("common.rs");

fn main() {
    for i in 0..5_000u32 {
        println!("line {} {}", i, i.wrapping_mul(2654435761));
    }
}
