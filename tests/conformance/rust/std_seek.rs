// std::io::Seek: Start, End, Current, negative and past-the-end positions.
include!("common.rs");
use std::io::{Read, Seek, SeekFrom, Write};

fn main() {
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open("/sandbox/hello.txt").unwrap();
    println!("seek End(0): {:?}", f.seek(SeekFrom::End(0)).map_err(|e| io_err(&e)));
    println!("seek Start(6): {:?}", f.seek(SeekFrom::Start(6)).map_err(|e| io_err(&e)));
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    println!("rest: {:?}", s);
    println!("seek Current(-6): {:?}", f.seek(SeekFrom::Current(-6)).map_err(|e| io_err(&e)));
    println!("seek Current(-100): {:?}", f.seek(SeekFrom::Current(-100)).map_err(|e| io_err(&e)));
    println!("stream_position: {:?}", f.stream_position().map_err(|e| io_err(&e)));
    println!("seek End(10): {:?}", f.seek(SeekFrom::End(10)).map_err(|e| io_err(&e)));
    f.write_all(b"!").unwrap();
    println!("len now: {}", f.metadata().unwrap().len());
    drop(f);
    println!("content: {:?}", std::fs::read("/sandbox/hello.txt").unwrap());
}
