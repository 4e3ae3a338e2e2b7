// fs::read_link: relative, escaping and absolute targets, a non-link, a missing path.
include!("common.rs");

fn main() {
    for p in ["link_hello", "link_sub", "link_escape", "link_abs", "link_dangling", "sub/link_up", "hello.txt", "missing"].iter() {
        match std::fs::read_link(format!("/sandbox/{}", p)) {
            Ok(t) => println!("read_link {}: {:?}", p, t),
            Err(e) => println!("read_link {}: {}", p, io_err(&e)),
        }
    }
}
