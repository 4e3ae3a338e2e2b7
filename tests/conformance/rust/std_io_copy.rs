// io::copy from one file to another, and from a file to stdout.
include!("common.rs");

fn main() {
    let mut src = std::fs::File::open("/sandbox/data.bin").unwrap();
    let mut dst = std::fs::File::create("/sandbox/copy.bin").unwrap();
    println!("copied {:?}", std::io::copy(&mut src, &mut dst).map_err(|e| io_err(&e)));
    let mut src = std::fs::File::open("/sandbox/sub/nested.txt").unwrap();
    println!("to stdout: {:?}", std::io::copy(&mut src, &mut std::io::stdout()).map_err(|e| io_err(&e)));
}
