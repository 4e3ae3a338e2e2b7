// Shared by the Rust conformance programs (each one does `include!("common.rs");`): raw
// wasi_snapshot_preview1 imports, WASI errno names and printing helpers. Every program prints
// what it observed; the harness compares that with the real wasmtime CLI. The preopen is fd 3,
// "/sandbox" (see tests/conformance/harness.py for the fixture tree).
#[allow(dead_code)]
mod wasi {
    // Wasm-level signatures exactly as Rust std's own `wasi` crate declares them (i32 for
    // pointers, sizes and fds, i64 for 64-bit values), so the linker merges the imports.
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        pub fn args_get(a: i32, b: i32) -> i32;
        pub fn args_sizes_get(a: i32, b: i32) -> i32;
        pub fn environ_get(a: i32, b: i32) -> i32;
        pub fn environ_sizes_get(a: i32, b: i32) -> i32;
        pub fn clock_res_get(id: i32, out: i32) -> i32;
        pub fn clock_time_get(id: i32, precision: i64, out: i32) -> i32;
        pub fn fd_advise(fd: i32, offset: i64, len: i64, advice: i32) -> i32;
        pub fn fd_allocate(fd: i32, offset: i64, len: i64) -> i32;
        pub fn fd_close(fd: i32) -> i32;
        pub fn fd_datasync(fd: i32) -> i32;
        pub fn fd_fdstat_get(fd: i32, out: i32) -> i32;
        pub fn fd_fdstat_set_flags(fd: i32, flags: i32) -> i32;
        pub fn fd_fdstat_set_rights(fd: i32, base: i64, inheriting: i64) -> i32;
        pub fn fd_filestat_get(fd: i32, out: i32) -> i32;
        pub fn fd_filestat_set_size(fd: i32, size: i64) -> i32;
        pub fn fd_filestat_set_times(fd: i32, atim: i64, mtim: i64, flags: i32) -> i32;
        pub fn fd_pread(fd: i32, iovs: i32, n: i32, offset: i64, out: i32) -> i32;
        pub fn fd_prestat_get(fd: i32, out: i32) -> i32;
        pub fn fd_prestat_dir_name(fd: i32, path: i32, len: i32) -> i32;
        pub fn fd_pwrite(fd: i32, iovs: i32, n: i32, offset: i64, out: i32) -> i32;
        pub fn fd_read(fd: i32, iovs: i32, n: i32, out: i32) -> i32;
        pub fn fd_readdir(fd: i32, buf: i32, len: i32, cookie: i64, out: i32) -> i32;
        pub fn fd_renumber(fd: i32, to: i32) -> i32;
        pub fn fd_seek(fd: i32, offset: i64, whence: i32, out: i32) -> i32;
        pub fn fd_sync(fd: i32) -> i32;
        pub fn fd_tell(fd: i32, out: i32) -> i32;
        pub fn fd_write(fd: i32, iovs: i32, n: i32, out: i32) -> i32;
        pub fn path_create_directory(fd: i32, path: i32, len: i32) -> i32;
        pub fn path_filestat_get(fd: i32, flags: i32, path: i32, len: i32, out: i32) -> i32;
        pub fn path_filestat_set_times(fd: i32, flags: i32, path: i32, len: i32, atim: i64,
                                       mtim: i64, fst: i32) -> i32;
        pub fn path_link(old_fd: i32, old_flags: i32, old: i32, old_len: i32, new_fd: i32,
                         new: i32, new_len: i32) -> i32;
        pub fn path_open(fd: i32, dirflags: i32, path: i32, len: i32, oflags: i32, base: i64,
                         inheriting: i64, fdflags: i32, out: i32) -> i32;
        pub fn path_readlink(fd: i32, path: i32, len: i32, buf: i32, buf_len: i32,
                             out: i32) -> i32;
        pub fn path_remove_directory(fd: i32, path: i32, len: i32) -> i32;
        pub fn path_rename(fd: i32, old: i32, old_len: i32, new_fd: i32, new: i32,
                           new_len: i32) -> i32;
        pub fn path_symlink(old: i32, old_len: i32, fd: i32, new: i32, new_len: i32) -> i32;
        pub fn path_unlink_file(fd: i32, path: i32, len: i32) -> i32;
        pub fn poll_oneoff(subs: i32, events: i32, n: i32, out: i32) -> i32;
        pub fn proc_raise(sig: i32) -> i32;
        pub fn sched_yield() -> i32;
        pub fn random_get(buf: i32, len: i32) -> i32;
        pub fn sock_accept(fd: i32, flags: i32, out: i32) -> i32;
        pub fn sock_recv(fd: i32, iovs: i32, n: i32, flags: i32, out_len: i32,
                         out_flags: i32) -> i32;
        pub fn sock_send(fd: i32, iovs: i32, n: i32, flags: i32, out_len: i32) -> i32;
        pub fn sock_shutdown(fd: i32, how: i32) -> i32;
    }
}

#[allow(dead_code)]
const SANDBOX: u32 = 3;
#[allow(dead_code)]
const FOLLOW: u32 = 1;
#[allow(dead_code)]
mod oflags {
    pub const CREAT: u32 = 1;
    pub const DIRECTORY: u32 = 2;
    pub const EXCL: u32 = 4;
    pub const TRUNC: u32 = 8;
}
#[allow(dead_code)]
mod fdflags {
    pub const APPEND: u32 = 1;
    pub const DSYNC: u32 = 2;
    pub const NONBLOCK: u32 = 4;
    pub const RSYNC: u32 = 8;
    pub const SYNC: u32 = 16;
}
#[allow(dead_code)]
mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const ALL: u64 = (1 << 29) - 1;
}

#[allow(dead_code)]
const ERRNO_NAMES: [&str; 77] = [
    "ESUCCESS", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN",
    "EALREADY", "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED",
    "ECONNREFUSED", "ECONNRESET", "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST",
    "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM", "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL",
    "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK", "EMSGSIZE", "EMULTIHOP",
    "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS", "ENODEV",
    "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC",
    "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP",
    "ENOTTY", "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO",
    "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE",
    "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE",
];

#[allow(dead_code)]
fn errname(e: i32) -> String {
    if e >= 0 && (e as usize) < ERRNO_NAMES.len() {
        ERRNO_NAMES[e as usize].to_string()
    } else {
        format!("errno({})", e)
    }
}

/// "label: ENAME"; returns the errno.
#[allow(dead_code)]
fn show(label: &str, e: i32) -> i32 {
    println!("{}: {}", label, errname(e));
    e
}

/// An io::Error as the guest sees it: the WASI errno and Rust's ErrorKind.
#[allow(dead_code)]
fn io_err(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => format!("{} ({:?})", errname(code), e.kind()),
        None => format!("{:?}", e.kind()),
    }
}

#[allow(dead_code)]
fn show_io<T>(label: &str, r: &std::io::Result<T>) {
    match r {
        Ok(_) => println!("{}: ok", label),
        Err(e) => println!("{}: {}", label, io_err(e)),
    }
}

/// path_open relative to `dirfd`; Ok(fd) or Err(errno).
#[allow(dead_code)]
fn open_at(dirfd: u32, path: &[u8], lookup: u32, oflags: u32, base: u64, inheriting: u64,
           fdflags: u32) -> Result<u32, i32> {
    let mut fd: u32 = u32::MAX;
    let e = unsafe {
        wasi::path_open(dirfd as i32, lookup as i32, path.as_ptr() as i32, path.len() as i32,
                        oflags as i32, base as i64, inheriting as i64, fdflags as i32,
                        &mut fd as *mut u32 as i32)
    };
    if e == 0 { Ok(fd) } else { Err(e) }
}

#[allow(dead_code)]
fn open_sb(path: &str, oflags: u32, base: u64, fdflags: u32) -> Result<u32, i32> {
    open_at(SANDBOX, path.as_bytes(), FOLLOW, oflags, base, rights::ALL, fdflags)
}

/// Open a fixture file or stop with exit code 1 (the setup itself failed).
#[allow(dead_code)]
fn must_open(path: &str, oflags: u32, base: u64, fdflags: u32) -> u32 {
    match open_sb(path, oflags, base, fdflags) {
        Ok(fd) => fd,
        Err(e) => {
            println!("setup: open {}: {}", path, errname(e));
            std::process::exit(1)
        }
    }
}

#[allow(dead_code)]
fn show_open(label: &str, r: Result<u32, i32>) -> Option<u32> {
    match r {
        Ok(fd) => { println!("{}: ESUCCESS", label); Some(fd) }
        Err(e) => { println!("{}: {}", label, errname(e)); None }
    }
}

#[allow(dead_code)]
fn read_fd(fd: u32, len: usize) -> Result<Vec<u8>, i32> {
    let mut buf = vec![0u8; len];
    let iov: [u32; 2] = [buf.as_mut_ptr() as u32, len as u32];
    let mut n: u32 = 0;
    let e = unsafe { wasi::fd_read(fd as i32, iov.as_ptr() as i32, 1, &mut n as *mut u32 as i32) };
    if e != 0 { return Err(e); }
    buf.truncate(n as usize);
    Ok(buf)
}

#[allow(dead_code)]
fn write_fd(fd: u32, data: &[u8]) -> Result<u32, i32> {
    let iov: [u32; 2] = [data.as_ptr() as u32, data.len() as u32];
    let mut n: u32 = 0;
    let e = unsafe { wasi::fd_write(fd as i32, iov.as_ptr() as i32, 1, &mut n as *mut u32 as i32) };
    if e == 0 { Ok(n) } else { Err(e) }
}

#[allow(dead_code)]
fn show_read(label: &str, fd: u32, len: usize) {
    match read_fd(fd, len) {
        Ok(data) => println!("{}: ESUCCESS n={} data={:?}", label, data.len(),
                             String::from_utf8_lossy(&data)),
        Err(e) => println!("{}: {}", label, errname(e)),
    }
}

#[allow(dead_code)]
fn show_write(label: &str, fd: u32, data: &[u8]) {
    match write_fd(fd, data) {
        Ok(n) => println!("{}: ESUCCESS n={}", label, n),
        Err(e) => println!("{}: {}", label, errname(e)),
    }
}

/// (filetype, flags, rights_base, rights_inheriting) of fd_fdstat_get.
#[allow(dead_code)]
fn fdstat(fd: u32) -> Result<(u8, u16, u64, u64), i32> {
    let mut buf = [0u8; 24];
    let e = unsafe { wasi::fd_fdstat_get(fd as i32, buf.as_mut_ptr() as i32) };
    if e != 0 { return Err(e); }
    let u16_at = |i: usize| u16::from_le_bytes([buf[i], buf[i + 1]]);
    let u64_at = |i: usize| { let mut b = [0u8; 8]; b.copy_from_slice(&buf[i..i + 8]); u64::from_le_bytes(b) };
    Ok((buf[0], u16_at(2), u64_at(8), u64_at(16)))
}

/// The fields of a filestat: (dev, ino, filetype, nlink, size, atim, mtim, ctim).
#[allow(dead_code)]
struct Filestat { dev: u64, ino: u64, filetype: u8, nlink: u64, size: u64, atim: u64, mtim: u64, ctim: u64 }

#[allow(dead_code)]
fn parse_filestat(buf: &[u8; 64]) -> Filestat {
    let u64_at = |i: usize| { let mut b = [0u8; 8]; b.copy_from_slice(&buf[i..i + 8]); u64::from_le_bytes(b) };
    Filestat { dev: u64_at(0), ino: u64_at(8), filetype: buf[16], nlink: u64_at(24),
               size: u64_at(32), atim: u64_at(40), mtim: u64_at(48), ctim: u64_at(56) }
}

#[allow(dead_code)]
fn path_stat(dirfd: u32, lookup: u32, path: &str) -> Result<Filestat, i32> {
    let mut buf = [0u8; 64];
    let e = unsafe { wasi::path_filestat_get(dirfd as i32, lookup as i32, path.as_ptr() as i32,
                                             path.len() as i32, buf.as_mut_ptr() as i32) };
    if e == 0 { Ok(parse_filestat(&buf)) } else { Err(e) }
}

#[allow(dead_code)]
fn fd_stat(fd: u32) -> Result<Filestat, i32> {
    let mut buf = [0u8; 64];
    let e = unsafe { wasi::fd_filestat_get(fd as i32, buf.as_mut_ptr() as i32) };
    if e == 0 { Ok(parse_filestat(&buf)) } else { Err(e) }
}

#[allow(dead_code)]
fn filetype_name(t: u8) -> &'static str {
    ["unknown", "block", "char", "dir", "file", "socket_dgram", "socket_stream", "symlink"]
        .get(t as usize).copied().unwrap_or("filetype(?)")
}

/// "label: dir" / "label: file size=N" / "label: ENOENT" for path_filestat_get.
#[allow(dead_code)]
fn show_type(label: &str, path: &str, lookup: u32) {
    match path_stat(SANDBOX, lookup, path) {
        Ok(st) if st.filetype == 3 => println!("{}: dir", label),
        Ok(st) => println!("{}: {} size={}", label, filetype_name(st.filetype), st.size),
        Err(e) => println!("{}: {}", label, errname(e)),
    }
}

/// Call a path-taking function with a Rust string: (ptr, len) as i32s.
#[allow(dead_code)]
fn pl(s: &str) -> (i32, i32) { (s.as_ptr() as i32, s.len() as i32) }

/// The content of a sandbox file as the guest reads it, printed on one line.
#[allow(dead_code)]
fn show_file(path: &str) {
    match std::fs::read(format!("/sandbox/{}", path)) {
        Ok(data) => println!("file {}: {:?}", path, String::from_utf8_lossy(&data)),
        Err(e) => println!("file {}: {}", path, io_err(&e)),
    }
}
