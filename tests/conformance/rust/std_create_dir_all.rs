// fs::create_dir and create_dir_all: nested, existing, through a file, through a symlink.
include!("common.rs");

fn main() {
    show_io("create_dir_all a/b/c", &std::fs::create_dir_all("/sandbox/a/b/c"));
    show_io("create_dir_all a/b/c again", &std::fs::create_dir_all("/sandbox/a/b/c"));
    show_io("create_dir a", &std::fs::create_dir("/sandbox/a"));
    show_io("create_dir x/y (missing parent)", &std::fs::create_dir("/sandbox/x/y"));
    show_io("create_dir_all hello.txt/z", &std::fs::create_dir_all("/sandbox/hello.txt/z"));
    show_io("create_dir_all link_sub/new", &std::fs::create_dir_all("/sandbox/link_sub/new"));
    show_io("create_dir_all link_escape_dir/new", &std::fs::create_dir_all("/sandbox/link_escape_dir/new"));
    println!("sub/new is dir: {}", std::path::Path::new("/sandbox/sub/new").is_dir());
}
