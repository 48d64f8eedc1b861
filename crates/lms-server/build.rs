//! Records the git commit and build time for `/api/v1/status`.
use std::process::Command;

fn main() {
    let out = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    if let Some(c) = out("git", &["rev-parse", "--short=12", "HEAD"]) {
        println!("cargo:rustc-env=LMS_GIT_COMMIT={c}");
    }
    if let Some(t) = out("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]) {
        println!("cargo:rustc-env=LMS_BUILD_TIME={t}");
    }
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs/heads");
}
