// conformance: env='A=1' 'LONG_NAME_VAR=some value' 'E=' 'U=ünï' 'Q=a=b'
// std::env::vars and var: every variable; missing ones; set_var inside the program.
include!("common.rs");

fn main() {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.sort();
    for (k, v) in &vars { println!("{}={:?}", k, v); }
    println!("var MISSING: {:?}", std::env::var("MISSING").is_err());
    std::env::set_var("NEW", "set inside");
    println!("var NEW: {:?}", std::env::var("NEW"));
}
