// A 2 MiB file written in 64 KiB chunks, read back in 100 KiB chunks, compared chunk by chunk.
include!("common.rs");
use std::io::{Read, Write};

fn main() {
    let mut f = std::fs::File::create("/sandbox/large.bin").unwrap();
    for i in 0..32u8 {
        let mut chunk = vec![i; 65536];
        chunk[0] = 255 - i;
        f.write_all(&chunk).unwrap();
    }
    drop(f);
    let mut f = std::fs::File::open("/sandbox/large.bin").unwrap();
    let mut buf = vec![0u8; 100_000];
    let mut all = Vec::new();
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 { break; }
        all.extend_from_slice(&buf[..n]);
    }
    let same = (0..32u8).all(|i| {
        let c = &all[i as usize * 65536..(i as usize + 1) * 65536];
        c[0] == 255 - i && c[1..].iter().all(|&b| b == i)
    });
    println!("size={} content as written: {}", all.len(), same);
    std::fs::remove_file("/sandbox/large.bin").unwrap();
}
