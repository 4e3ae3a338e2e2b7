// proc_raise and sched_yield through raw imports.
include!("common.rs");

fn main() {
    println!("sched_yield: {}", errname(unsafe { wasi::sched_yield() }));
    for sig in [0, 2, 15, 30].iter() {
        println!("proc_raise {}: {}", sig, errname(unsafe { wasi::proc_raise(*sig) }));
    }
}
