// The current directory and relative paths in Rust std on WASI (wasi-libc's cwd is "/").
include!("common.rs");

fn main() {
    println!("current_dir: {:?}", std::env::current_dir().map_err(|e| format!("{:?}", e.kind())));
    show_io("open relative hello.txt", &std::fs::File::open("hello.txt"));
    show_io("open relative sandbox/hello.txt", &std::fs::File::open("sandbox/hello.txt"));
    show_io("open /sandbox/hello.txt", &std::fs::File::open("/sandbox/hello.txt"));
    show_io("open /etc/passwd", &std::fs::File::open("/etc/passwd"));
    show_io("open /", &std::fs::File::open("/"));
    show_io("open /sandbox/../outside.txt", &std::fs::File::open("/sandbox/../outside.txt"));
    show_io("open /sandbox/sub/../../outside.txt", &std::fs::File::open("/sandbox/sub/../../outside.txt"));
    show_io("open /sandbox/link_abs", &std::fs::File::open("/sandbox/link_abs"));
}
