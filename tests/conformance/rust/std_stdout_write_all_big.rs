// One write_all of 4 MiB to stdout (one fd_write call that the host may cut short).
include!("common.rs");
use std::io::Write;

fn main() {
    let data: Vec<u8> = (0..4u32 << 20).map(|i| if i % 100 == 99 { b'\n' } else { b'a' + (i % 26) as u8 }).collect();
    std::io::stdout().write_all(&data).unwrap();
    println!("\ndone");
}
