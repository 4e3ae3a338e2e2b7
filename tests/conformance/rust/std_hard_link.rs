// fs::hard_link: shares content; onto an existing name; of a directory.
include!("common.rs");
use std::io::Write;

fn main() {
    show_io("hard_link hello.txt -> hl.txt", &std::fs::hard_link("/sandbox/hello.txt", "/sandbox/hl.txt"));
    std::fs::OpenOptions::new().append(true).open("/sandbox/hl.txt").unwrap().write_all(b"more\n").unwrap();
    show_file("hello.txt");
    show_io("hard_link onto existing", &std::fs::hard_link("/sandbox/hello.txt", "/sandbox/empty.txt"));
    show_io("hard_link a dir", &std::fs::hard_link("/sandbox/sub", "/sandbox/sub2"));
    show_io("hard_link to outside", &std::fs::hard_link("/sandbox/hello.txt", "/sandbox/../hl_out.txt"));
}
