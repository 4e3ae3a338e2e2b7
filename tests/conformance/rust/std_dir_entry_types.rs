// DirEntry::file_type and DirEntry::metadata for every kind of entry in the preopen.
include!("common.rs");

fn main() {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/sandbox").unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        let md = match e.metadata() {
            Ok(m) => format!("len={}", if m.is_dir() { 0 } else { m.len() }),
            Err(err) => io_err(&err),
        };
        out.push(format!("{}: dir={} file={} symlink={} {}", e.file_name().to_string_lossy(), ft.is_dir(), ft.is_file(), ft.is_symlink(), md));
    }
    out.sort();
    for l in out { println!("{}", l); }
}
