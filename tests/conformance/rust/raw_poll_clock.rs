// poll_oneoff through raw imports: one relative clock of 25 ms; the event written back.
include!("common.rs");

fn main() {
    let mut sub = [0u8; 48];
    sub[0..8].copy_from_slice(&77u64.to_le_bytes());
    sub[8] = 0;                                                    // clock
    sub[16..20].copy_from_slice(&1u32.to_le_bytes());             // monotonic
    sub[24..32].copy_from_slice(&25_000_000u64.to_le_bytes());    // 25 ms
    let mut ev = [0xEEu8; 32];
    let mut n: u32 = 0;
    let t0 = std::time::Instant::now();
    let e = unsafe { wasi::poll_oneoff(sub.as_ptr() as i32, ev.as_mut_ptr() as i32, 1, &mut n as *mut u32 as i32) };
    println!("poll: {} nevents={} waited>=25ms: {}", errname(e), n, t0.elapsed().as_millis() >= 25);
    println!("event: userdata={} error={} type={} nbytes={} flags={}",
             u64::from_le_bytes(ev[0..8].try_into().unwrap()), u16::from_le_bytes([ev[8], ev[9]]), ev[10],
             u64::from_le_bytes(ev[16..24].try_into().unwrap()), u16::from_le_bytes([ev[24], ev[25]]));
}
