// conformance: args='plain' 'with space' '' 'ünï ✓' '--' '-x'
// std::env::args: every argument, in order, argv[0] included.
include!("common.rs");

fn main() {
    for (i, a) in std::env::args().enumerate() {
        println!("arg {}: {:?}", i, a);
    }
    println!("count: {}", std::env::args_os().count());
}
