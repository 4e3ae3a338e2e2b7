// fd_fdstat_get of stdio through raw imports: file type, flags and rights values.
include!("common.rs");

fn main() {
    for fd in 0..3u32 {
        match fdstat(fd) {
            Ok((t, f, b, i)) => println!("fd {}: type={} flags={} base={:#x} inheriting={:#x}", fd, filetype_name(t), f, b, i),
            Err(e) => println!("fd {}: {}", fd, errname(e)),
        }
    }
}
