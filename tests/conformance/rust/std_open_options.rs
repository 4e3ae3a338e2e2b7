// OpenOptions combinations: create, create_new, truncate, append, write without create.
include!("common.rs");
use std::fs::OpenOptions;
use std::io::Write;

fn main() {
    let r = OpenOptions::new().write(true).open("/sandbox/missing.txt");
    show_io("write, no create, missing", &r);
    let r = OpenOptions::new().write(true).create(true).open("/sandbox/c1.txt");
    show_io("write+create missing", &r);
    let r = OpenOptions::new().write(true).create_new(true).open("/sandbox/c1.txt");
    show_io("create_new existing", &r);
    let r = OpenOptions::new().write(true).create_new(true).open("/sandbox/c2.txt");
    show_io("create_new missing", &r);
    let r = OpenOptions::new().read(true).truncate(true).open("/sandbox/hello.txt");
    show_io("read+truncate (no write)", &r);
    let r = OpenOptions::new().create(true).open("/sandbox/c3.txt");
    show_io("create without write", &r);
    let mut f = OpenOptions::new().write(true).truncate(true).open("/sandbox/sub/nested.txt").unwrap();
    f.write_all(b"replaced\n").unwrap();
    let r = OpenOptions::new().append(true).open("/sandbox/hello.txt");
    show_io("append", &r);
    r.unwrap().write_all(b"appended\n").unwrap();
    let r = OpenOptions::new().open("/sandbox/hello.txt");
    show_io("no access mode", &r);
    show_file("hello.txt");
    show_file("sub/nested.txt");
}
