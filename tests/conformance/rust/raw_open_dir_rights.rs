// path_open of directories with the rights Rust std and wasi-libc ask for, and with all rights.
include!("common.rs");

fn main() {
    let std_read = rights::ALL & !(rights::FD_WRITE | rights::FD_DATASYNC | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE);
    let cases: [(&str, u64, u64); 5] = [
        ("std read rights", std_read, std_read),
        ("all rights", rights::ALL, rights::ALL),
        ("readdir only", rights::FD_READDIR, 0),
        ("fd_write only", rights::FD_WRITE, 0),
        ("no rights", 0, 0),
    ];
    for (label, base, inh) in cases.iter() {
        for dir in ["sub", "."].iter() {
            let r = open_at(SANDBOX, dir.as_bytes(), FOLLOW, oflags::DIRECTORY, *base, *inh, 0);
            match r {
                Ok(fd) => {
                    let (t, _, b, i) = fdstat(fd).unwrap();
                    println!("{} {:?}: ok type={} write={} readdir={} inh_write={}", label, dir, filetype_name(t),
                             b & rights::FD_WRITE != 0, b & rights::FD_READDIR != 0, i & rights::FD_WRITE != 0);
                    unsafe { wasi::fd_close(fd as i32) };
                }
                Err(e) => println!("{} {:?}: {}", label, dir, errname(e)),
            }
        }
    }
}
