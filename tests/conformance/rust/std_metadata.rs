// fs::metadata and fs::symlink_metadata of files, directories and symlinks; times sensible.
include!("common.rs");
use std::time::{Duration, SystemTime};

fn describe(label: &str, m: std::io::Result<std::fs::Metadata>) {
    match m {
        Ok(m) => {
            let t = m.file_type();
            let recent = |r: std::io::Result<SystemTime>| match r {
                Ok(t) => format!("{}", t > SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_836_800)),
                Err(e) => format!("{:?}", e.kind()),
            };
            println!("{}: dir={} file={} symlink={} len={} modified_recent={} accessed_recent={} created={}",
                     label, t.is_dir(), t.is_file(), t.is_symlink(),
                     if t.is_dir() { 0 } else { m.len() }, recent(m.modified()), recent(m.accessed()),
                     recent(m.created()));
        }
        Err(e) => println!("{}: {}", label, io_err(&e)),
    }
}

fn main() {
    for p in ["hello.txt", "sub", "link_hello", "link_sub", "link_dangling", "link_escape", "link_loop_a", "missing"].iter() {
        describe(&format!("metadata {}", p), std::fs::metadata(format!("/sandbox/{}", p)));
        describe(&format!("symlink_metadata {}", p), std::fs::symlink_metadata(format!("/sandbox/{}", p)));
    }
}
