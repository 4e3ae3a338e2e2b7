// Many small writes through a BufWriter to a file, then read back.
include!("common.rs");
use std::io::Write;

fn main() {
    let f = std::fs::File::create("/sandbox/buf.txt").unwrap();
    let mut w = std::io::BufWriter::with_capacity(100, f);
    for i in 0..5000 { write!(w, "{},", i).unwrap(); }
    w.flush().unwrap();
    drop(w);
    let data = std::fs::read_to_string("/sandbox/buf.txt").unwrap();
    let nums: Vec<&str> = data.trim_end_matches(',').split(',').collect();
    println!("len={} numbers={} last={}", data.len(), nums.len(), nums[nums.len() - 1]);
}
