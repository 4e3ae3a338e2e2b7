// Writing through a File opened read-only, and reading through one opened write-only.
include!("common.rs");
use std::io::{Read, Write};

fn main() {
    let mut ro = std::fs::File::open("/sandbox/hello.txt").unwrap();
    println!("write to read-only: {:?}", ro.write(b"X").map_err(|e| io_err(&e)));
    let mut wo = std::fs::OpenOptions::new().write(true).open("/sandbox/sub/nested.txt").unwrap();
    let mut buf = [0u8; 4];
    println!("read from write-only: {:?}", wo.read(&mut buf).map_err(|e| io_err(&e)));
    show_file("hello.txt");
}
