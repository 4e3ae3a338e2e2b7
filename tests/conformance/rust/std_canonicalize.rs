// fs::canonicalize (not available on WASI preview1) and path-based checks that are.
include!("common.rs");

fn main() {
    match std::fs::canonicalize("/sandbox/sub/../hello.txt") {
        Ok(p) => println!("canonicalize: {:?}", p),
        Err(e) => println!("canonicalize: {:?}", e.kind()),
    }
    println!("exists sub/../hello.txt: {}", std::path::Path::new("/sandbox/sub/../hello.txt").exists());
    println!("exists link_dangling: {}", std::path::Path::new("/sandbox/link_dangling").exists());
    println!("is_dir link_sub: {}", std::path::Path::new("/sandbox/link_sub").is_dir());
    println!("is_file link_escape: {}", std::path::Path::new("/sandbox/link_escape").is_file());
}
