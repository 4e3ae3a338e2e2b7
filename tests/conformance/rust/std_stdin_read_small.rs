// conformance: stdin='0123456789abcdef'
// Reading stdin 5 bytes at a time with Read::read until EOF.
include!("common.rs");
use std::io::Read;

fn main() {
    let mut stdin = std::io::stdin();
    let mut buf = [0u8; 5];
    loop {
        let n = stdin.read(&mut buf).unwrap();
        println!("read {} {:?}", n, String::from_utf8_lossy(&buf[..n]));
        if n == 0 { break; }
    }
}
