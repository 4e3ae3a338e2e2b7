// conformance: fixture=many
// fd_readdir through raw imports with a 4 KiB buffer and cookies, until the end: the set of
// names (sorted) and that the last call came back short.
include!("common.rs");

fn main() {
    let mut cookie: u64 = 0;
    let mut names = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let mut used: u32 = 0;
        let e = unsafe { wasi::fd_readdir(SANDBOX as i32, buf.as_mut_ptr() as i32, buf.len() as i32, cookie as i64, &mut used as *mut u32 as i32) };
        if e != 0 { println!("readdir: {}", errname(e)); return; }
        let used = used as usize;
        let mut off = 0;
        while off + 24 <= used {
            let next = u64::from_le_bytes(buf[off..off + 8].try_into().unwrap());
            let namlen = u32::from_le_bytes(buf[off + 16..off + 20].try_into().unwrap()) as usize;
            if off + 24 + namlen > used { break; }
            names.push(String::from_utf8_lossy(&buf[off + 24..off + 24 + namlen]).to_string());
            cookie = next;
            off += 24 + namlen;
        }
        if used < buf.len() { break; }
    }
    names.sort();
    println!("{} names; first {:?}, last {:?}", names.len(), &names[..3], &names[names.len() - 2..]);
}
