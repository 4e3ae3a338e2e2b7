// Sizes seen through std after set_len, writes and hard links.
include!("common.rs");
use std::io::Write;

fn main() {
    let mut f = std::fs::File::create("/sandbox/m.txt").unwrap();
    println!("new: {}", f.metadata().unwrap().len());
    f.write_all(&[1u8; 1000]).unwrap();
    println!("after 1000: {}", f.metadata().unwrap().len());
    f.set_len(10).unwrap();
    println!("after set_len 10: {}", std::fs::metadata("/sandbox/m.txt").unwrap().len());
    std::fs::hard_link("/sandbox/m.txt", "/sandbox/m2.txt").unwrap();
    println!("link len: {}", std::fs::metadata("/sandbox/m2.txt").unwrap().len());
    println!("dir is_dir: {}", std::fs::metadata("/sandbox/sub").unwrap().is_dir());
}
