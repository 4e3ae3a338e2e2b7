// Permissions: readonly() as reported, and set_permissions (not available on WASI).
include!("common.rs");

fn main() {
    let m = std::fs::metadata("/sandbox/hello.txt").unwrap();
    let mut p = m.permissions();
    println!("readonly: {}", p.readonly());
    p.set_readonly(true);
    show_io("set_permissions readonly", &std::fs::set_permissions("/sandbox/hello.txt", p));
    println!("readonly after: {}", std::fs::metadata("/sandbox/hello.txt").unwrap().permissions().readonly());
    show_io("write after", &std::fs::write("/sandbox/hello.txt", b"still writable?\n"));
}
