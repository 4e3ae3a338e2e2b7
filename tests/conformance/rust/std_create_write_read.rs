// fs::write / fs::read / fs::read_to_string round trips; File::create truncates; invalid UTF-8
// read as a string.
include!("common.rs");

fn main() {
    show_io("write new.txt", &std::fs::write("/sandbox/new.txt", b"first version, long\n"));
    show_io("write new.txt again (truncates)", &std::fs::write("/sandbox/new.txt", b"second\n"));
    println!("read_to_string: {:?}", std::fs::read_to_string("/sandbox/new.txt").map_err(|e| io_err(&e)));
    println!("read data.bin: {:?}", std::fs::read("/sandbox/data.bin").map(|d| (d.len(), d[255])).map_err(|e| io_err(&e)));
    let r = std::fs::read_to_string("/sandbox/data.bin");
    println!("read_to_string data.bin: {}", match r { Ok(_) => "ok".to_string(), Err(e) => format!("{:?}", e.kind()) });
    show_io("write into missing dir", &std::fs::write("/sandbox/nodir/x.txt", b"x"));
    show_io("write onto a dir", &std::fs::write("/sandbox/sub", b"x"));
}
