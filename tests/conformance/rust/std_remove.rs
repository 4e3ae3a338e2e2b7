// fs::remove_file and fs::remove_dir on the wrong kind of entry.
include!("common.rs");

fn main() {
    show_io("remove_file sub (dir)", &std::fs::remove_file("/sandbox/sub"));
    show_io("remove_dir hello.txt (file)", &std::fs::remove_dir("/sandbox/hello.txt"));
    show_io("remove_dir sub (non-empty)", &std::fs::remove_dir("/sandbox/sub"));
    show_io("remove_dir emptydir", &std::fs::remove_dir("/sandbox/emptydir"));
    show_io("remove_file link_sub", &std::fs::remove_file("/sandbox/link_sub"));
    show_io("remove_file link_dangling", &std::fs::remove_file("/sandbox/link_dangling"));
    show_io("remove_file missing", &std::fs::remove_file("/sandbox/missing"));
    show_io("remove_file ../outside.txt", &std::fs::remove_file("/sandbox/../outside.txt"));
}
