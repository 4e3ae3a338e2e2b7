// File::sync_all and sync_data on written and read-only files.
include!("common.rs");
use std::io::Write;

fn main() {
    let mut f = std::fs::File::create("/sandbox/s.txt").unwrap();
    f.write_all(b"synced\n").unwrap();
    show_io("sync_all", &f.sync_all());
    show_io("sync_data", &f.sync_data());
    let ro = std::fs::File::open("/sandbox/hello.txt").unwrap();
    show_io("sync_all read-only", &ro.sync_all());
    let d = std::fs::File::open("/sandbox/sub").unwrap();
    show_io("sync_all dir", &d.sync_all());
}
