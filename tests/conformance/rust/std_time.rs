// SystemTime and Instant: wall clock after 2020, monotonic and at least as long as a sleep.
include!("common.rs");
use std::time::{Duration, Instant, SystemTime};

fn main() {
    let now = SystemTime::now();
    println!("after 2020: {}", now.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() > 1_577_836_800);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_millis(30));
    let el = t0.elapsed();
    println!("slept >= 30ms: {}, < 5s: {}", el >= Duration::from_millis(30), el < Duration::from_secs(5));
    let a = Instant::now();
    let b = Instant::now();
    println!("instants ordered: {}", b >= a);
    std::thread::sleep(Duration::from_millis(0));
    println!("sleep 0: ok");
}
