// fs::copy of a file (bytes copied, content equal), onto an existing file, of a dir.
include!("common.rs");

fn main() {
    println!("copy data.bin -> c.bin: {:?}", std::fs::copy("/sandbox/data.bin", "/sandbox/c.bin").map_err(|e| io_err(&e)));
    println!("equal: {}", std::fs::read("/sandbox/data.bin").unwrap() == std::fs::read("/sandbox/c.bin").unwrap());
    println!("copy hello.txt -> sub/nested.txt: {:?}", std::fs::copy("/sandbox/hello.txt", "/sandbox/sub/nested.txt").map_err(|e| io_err(&e)));
    println!("copy sub -> s2: {:?}", std::fs::copy("/sandbox/sub", "/sandbox/s2").map_err(|e| io_err(&e)));
    println!("copy link_hello -> lh.txt: {:?}", std::fs::copy("/sandbox/link_hello", "/sandbox/lh.txt").map_err(|e| io_err(&e)));
    show_file("sub/nested.txt");
}
