// A 6 MiB file written in 64 KiB chunks, read back in 100 KiB chunks, compared.
include!("common.rs");
use std::io::{Read, Write};

fn main() {
    let mut f = std::fs::File::create("/sandbox/large.bin").unwrap();
    let mut chunk = vec![0u8; 65536];
    for i in 0..96u32 {
        for (j, b) in chunk.iter_mut().enumerate() { *b = ((i as usize * 131 + j * 7) % 251) as u8; }
        f.write_all(&chunk).unwrap();
    }
    drop(f);
    let mut f = std::fs::File::open("/sandbox/large.bin").unwrap();
    let mut buf = vec![0u8; 100_000];
    let (mut total, mut h) = (0usize, 0u64);
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 { break; }
        for b in &buf[..n] { h = h.wrapping_mul(1099511628211) ^ *b as u64; }
        total += n;
    }
    println!("size={} hash={:016x}", total, h);
    std::fs::remove_file("/sandbox/large.bin").unwrap();
}
