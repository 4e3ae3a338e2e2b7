// File::open through symlinks: good, dangling, escaping, absolute, a loop.
include!("common.rs");
use std::io::Read;

fn main() {
    for p in ["link_hello", "link_sub/nested.txt", "link_dangling", "link_escape", "link_abs", "link_loop_a", "link_escape_dir/secret.txt"].iter() {
        match std::fs::File::open(format!("/sandbox/{}", p)) {
            Ok(mut f) => {
                let mut s = String::new();
                let r = f.read_to_string(&mut s);
                println!("open {}: ok {:?}", p, r.map(|_| s).map_err(|e| io_err(&e)));
            }
            Err(e) => println!("open {}: {}", p, io_err(&e)),
        }
    }
}
