// sock_shutdown (and the other sock_* calls) on a bad fd, a file, stdio and the preopen.
include!("common.rs");

fn main() {
    let file = must_open("hello.txt", 0, rights::FD_READ, 0);
    for &(label, fd) in [("bad fd 99", 99u32), ("file", file), ("stdin", 0), ("stdout", 1), ("preopen", SANDBOX)].iter() {
        let e = unsafe { wasi::sock_shutdown(fd as i32, 3) };
        let mut out: u32 = 0;
        let a = unsafe { wasi::sock_accept(fd as i32, 0, &mut out as *mut u32 as i32) };
        println!("{}: sock_shutdown {} sock_accept {}", label, errname(e), errname(a));
    }
}
