// random_get through a raw import: sizes 0, 7, 64 KiB; not all the same byte.
include!("common.rs");

fn main() {
    for &n in [0usize, 7, 65536].iter() {
        let mut buf = vec![0u8; n];
        let e = unsafe { wasi::random_get(buf.as_mut_ptr() as i32, n as i32) };
        let distinct = { let mut s = std::collections::BTreeSet::new(); for b in &buf { s.insert(*b); } s.len() };
        println!("random_get {}: {} distinct>={}: {}", n, errname(e), n.min(200) / 2, distinct >= n.min(200) / 2);
    }
}
