// std::fs::read_dir (path_open with O_DIRECTORY and the rights Rust std asks for, then
// fd_readdir): the entries of a directory with their file types; read_dir of a file and of a
// missing path.
include!("common.rs");

fn list(path: &str) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            let mut names: Vec<String> = entries.map(|e| {
                let e = e.unwrap();
                let t = e.file_type().unwrap();
                format!("{} dir={} file={} symlink={}", e.file_name().to_string_lossy(),
                        t.is_dir(), t.is_file(), t.is_symlink())
            }).collect();
            names.sort();
            println!("read_dir {}: ok, {} entries", path, names.len());
            for n in names { println!("  {}", n); }
        }
        Err(e) => println!("read_dir {}: {}", path, io_err(&e)),
    }
}

fn main() {
    list("/sandbox");
    list("/sandbox/sub");
    list("/sandbox/link_sub");
    list("/sandbox/emptydir");
    list("/sandbox/hello.txt");
    list("/sandbox/missing");
}
