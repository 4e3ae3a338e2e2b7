// File::open on a directory (read-only open of a directory), then reading from it and its
// metadata; OpenOptions with write on a directory.
include!("common.rs");
use std::io::Read;

fn main() {
    match std::fs::File::open("/sandbox/sub") {
        Ok(mut f) => {
            println!("File::open dir: ok");
            println!("metadata is_dir: {:?}", f.metadata().map(|m| m.is_dir()).map_err(|e| io_err(&e)));
            let mut buf = [0u8; 8];
            match f.read(&mut buf) {
                Ok(n) => println!("read: ok {}", n),
                Err(e) => println!("read: {}", io_err(&e)),
            }
        }
        Err(e) => println!("File::open dir: {}", io_err(&e)),
    }
    let r = std::fs::OpenOptions::new().write(true).open("/sandbox/sub");
    show_io("OpenOptions write dir", &r);
    let r = std::fs::OpenOptions::new().read(true).write(true).open("/sandbox/emptydir");
    show_io("OpenOptions read+write dir", &r);
    let r = std::fs::File::create("/sandbox/emptydir");
    show_io("File::create dir", &r);
}
