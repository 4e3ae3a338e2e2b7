// read_exact past the end of a file: UnexpectedEof; read into an empty buffer.
include!("common.rs");
use std::io::Read;

fn main() {
    let mut f = std::fs::File::open("/sandbox/hello.txt").unwrap();
    let mut buf = [0u8; 100];
    println!("read_exact 100: {:?}", f.read_exact(&mut buf).map_err(|e| e.kind()));
    let mut f = std::fs::File::open("/sandbox/hello.txt").unwrap();
    println!("read_exact 5: {:?} {:?}", f.read_exact(&mut buf[..5]).map_err(|e| e.kind()), String::from_utf8_lossy(&buf[..5]));
    println!("read into empty buffer: {:?}", f.read(&mut []).map_err(|e| e.kind()));
    let mut e = std::fs::File::open("/sandbox/empty.txt").unwrap();
    println!("read empty file: {:?}", e.read(&mut buf).map_err(|e| e.kind()));
}
