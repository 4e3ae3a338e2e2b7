// clock_res_get / clock_time_get through raw imports, for every clock id of the enum.
include!("common.rs");

fn main() {
    for id in 0..4 {
        let mut res: u64 = 0;
        let e1 = unsafe { wasi::clock_res_get(id, &mut res as *mut u64 as i32) };
        let mut t: u64 = 0;
        let e2 = unsafe { wasi::clock_time_get(id, 1000, &mut t as *mut u64 as i32) };
        println!("clock {}: res {} ({}), time {} ({})", id, errname(e1), res > 0, errname(e2), t > 0);
    }
}
