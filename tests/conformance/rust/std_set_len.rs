// File::set_len to shrink and grow a file; set_len on a read-only File.
include!("common.rs");

fn main() {
    let f = std::fs::OpenOptions::new().write(true).open("/sandbox/hello.txt").unwrap();
    show_io("set_len 5", &f.set_len(5));
    println!("len: {}", f.metadata().unwrap().len());
    show_io("set_len 9", &f.set_len(9));
    println!("content: {:?}", std::fs::read("/sandbox/hello.txt").unwrap());
    let ro = std::fs::File::open("/sandbox/sub/nested.txt").unwrap();
    show_io("set_len on read-only", &ro.set_len(1));
    println!("nested: {:?}", std::fs::read("/sandbox/sub/nested.txt").unwrap());
}
