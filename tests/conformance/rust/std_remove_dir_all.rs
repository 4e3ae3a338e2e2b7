// fs::remove_dir_all of a tree that holds a symlink: the link goes, its target stays.
include!("common.rs");

fn main() {
    std::fs::create_dir_all("/sandbox/sub/deep/deeper").unwrap();
    std::fs::write("/sandbox/sub/deep/deeper/f.txt", b"x").unwrap();
    show_io("remove_dir_all sub", &std::fs::remove_dir_all("/sandbox/sub"));
    println!("sub exists: {}", std::path::Path::new("/sandbox/sub").exists());
    println!("hello.txt exists: {}", std::path::Path::new("/sandbox/hello.txt").exists());
    show_io("remove_dir_all missing", &std::fs::remove_dir_all("/sandbox/sub"));
    show_io("remove_dir_all a file", &std::fs::remove_dir_all("/sandbox/hello.txt"));
    show_io("remove_dir_all link_sub", &std::fs::remove_dir_all("/sandbox/link_sub"));
}
