// Trailing slashes through Rust std: a file with "/" is not a file; a dir with "/" is a dir.
include!("common.rs");

fn main() {
    show_io("File::open hello.txt/", &std::fs::File::open("/sandbox/hello.txt/"));
    show_io("metadata hello.txt/", &std::fs::metadata("/sandbox/hello.txt/"));
    show_io("metadata sub/", &std::fs::metadata("/sandbox/sub/"));
    show_io("read_dir sub/", &std::fs::read_dir("/sandbox/sub/"));
    show_io("File::create newfile/", &std::fs::File::create("/sandbox/newfile/"));
    show_io("remove_file empty.txt/", &std::fs::remove_file("/sandbox/empty.txt/"));
    show_io("create_dir nd/", &std::fs::create_dir("/sandbox/nd/"));
    show_io("remove_dir nd/", &std::fs::remove_dir("/sandbox/nd/"));
    show_io("rename data.bin/ -> d2", &std::fs::rename("/sandbox/data.bin/", "/sandbox/d2"));
}
