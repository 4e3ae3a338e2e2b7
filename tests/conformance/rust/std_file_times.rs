// File times: modified after a write is not older than before it; accessed and created.
include!("common.rs");
use std::io::Write;

fn main() {
    let before = std::fs::metadata("/sandbox/hello.txt").unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::OpenOptions::new().append(true).open("/sandbox/hello.txt").unwrap().write_all(b"x").unwrap();
    let after = std::fs::metadata("/sandbox/hello.txt").unwrap().modified().unwrap();
    println!("modified moved forward: {}", after >= before);
    println!("accessed: {}", std::fs::metadata("/sandbox/hello.txt").unwrap().accessed().is_ok());
    println!("created: {:?}", std::fs::metadata("/sandbox/hello.txt").unwrap().created().map(|_| ()).map_err(|e| e.kind()));
}
