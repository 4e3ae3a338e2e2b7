// Files and directories with unicode names: created, listed, opened, removed.
include!("common.rs");

fn main() {
    let names = ["café.txt", "日本語", "emoji-🎉.txt", "Ω≈ç√"];
    for n in names.iter() {
        show_io(&format!("write {}", n), &std::fs::write(format!("/sandbox/emptydir/{}", n), n.as_bytes()));
    }
    let mut listed: Vec<String> = std::fs::read_dir("/sandbox/emptydir").unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    listed.sort();
    println!("listed: {:?}", listed);
    println!("read back: {:?}", std::fs::read_to_string("/sandbox/emptydir/日本語"));
    show_io("remove", &std::fs::remove_file("/sandbox/emptydir/Ω≈ç√"));
}
