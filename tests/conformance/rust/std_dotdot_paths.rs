// ".." in absolute std paths: inside the preopen it resolves, leaving it fails.
include!("common.rs");

fn main() {
    for p in ["/sandbox/sub/../hello.txt", "/sandbox/sub/deep/../../hello.txt", "/sandbox/../sandbox/hello.txt",
              "/sandbox/..", "/sandbox/../outside.txt", "/sandbox/sub/../../outside_dir/secret.txt"].iter() {
        match std::fs::read(p) {
            Ok(d) => println!("read {}: ok {:?}", p, String::from_utf8_lossy(&d)),
            Err(e) => println!("read {}: {}", p, io_err(&e)),
        }
    }
}
