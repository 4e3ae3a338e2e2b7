// conformance: fixture=many
// read_dir of a directory with 201 entries: all of them, no duplicates.
include!("common.rs");

fn main() {
    let mut names: Vec<String> = std::fs::read_dir("/sandbox").unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    println!("entries={} distinct={} first={:?} last={:?}", n, names.len(), names[0], names[n - 1]);
}
