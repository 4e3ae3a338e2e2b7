// fs::rename of files and directories, onto existing names.
include!("common.rs");

fn main() {
    show_io("rename hello.txt -> h.txt", &std::fs::rename("/sandbox/hello.txt", "/sandbox/h.txt"));
    show_io("rename h.txt -> empty.txt (replace)", &std::fs::rename("/sandbox/h.txt", "/sandbox/empty.txt"));
    show_io("rename sub -> emptydir (empty dir)", &std::fs::rename("/sandbox/sub", "/sandbox/emptydir"));
    show_io("rename emptydir -> data.bin (dir over file)", &std::fs::rename("/sandbox/emptydir", "/sandbox/data.bin"));
    show_io("rename data.bin -> emptydir (file over dir)", &std::fs::rename("/sandbox/data.bin", "/sandbox/emptydir"));
    show_io("rename missing -> x", &std::fs::rename("/sandbox/missing", "/sandbox/x"));
    show_file("empty.txt");
    show_file("emptydir/nested.txt");
}
