//! The LMS behind the traffic controller, as on the cutover night: a client
//! that streams a chunked body the LMS refuses (401 without credentials,
//! 413 when too large) gets that answer, and the controller does not count
//! a backend failure — so nobody can push green's error rate, which the
//! cutover gates read, with requests the LMS answers before it needs their
//! bodies.

mod common;

use common::*;
use std::io::{Read, Write};
use std::process::Stdio;

/// Sends a chunked POST of `kib` KiB and returns the status line.
fn chunked_post(port: u16, kib: usize) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(
        b"POST /api/v1/leave-requests HTTP/1.1\r\nHost: lms\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )
    .expect("head");
    let chunk = [b"400\r\n".as_slice(), &[b'x'; 1024], b"\r\n"].concat();
    for _ in 0..kib {
        s.write_all(&chunk).expect("the body is read, not cut off");
    }
    s.write_all(b"0\r\n\r\n").expect("last chunk");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_string()
}

#[test]
fn bodies_the_lms_refuses_are_not_counted_against_it() {
    let dir = scratch("behind-proxy");
    let (public, lms_port, admin) = (free_port(), free_port(), free_port());
    let db = format!("sqlite://{}/lms.db", dir.display());
    let mut procs = Procs(Vec::new(), Vec::new());
    procs.0.push(
        lms()
            .args(["serve", "--demo", "--database-url", &db, "--listen", &format!("127.0.0.1:{lms_port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lms serve"),
    );
    wait_for("the LMS", || http_get(lms_port, "/api/health").is_some_and(|b| b.contains("healthy")));
    procs.0.push(
        lms()
            .args([
                "proxy",
                "--listen",
                &format!("127.0.0.1:{public}"),
                "--admin-listen",
                &format!("127.0.0.1:{admin}"),
            ])
            .args(["--backend", &format!("green=http://127.0.0.1:{lms_port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lms proxy"),
    );
    wait_for("the proxy", || http_get(admin, "/state").is_some_and(|b| b.contains("weights")));
    for _ in 0..40 {
        assert_eq!(chunked_post(public, 48), "HTTP/1.1 401 Unauthorized");
        assert_eq!(chunked_post(public, 300), "HTTP/1.1 413 Payload Too Large");
    }
    let answer = http_get(admin, "/state").expect("state");
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).expect("a body");
    let state: serde_json::Value = serde_json::from_str(body).expect("json");
    let stats = &state["backends"][0]["stats"]["cumulative"];
    assert_eq!(stats["responses"]["4xx"], 80, "{stats}");
    assert_eq!((stats["failed"].as_u64(), stats["failures"]["reset"].as_u64()), (Some(0), Some(0)), "{stats}");
    drop(procs);
    let _ = std::fs::remove_dir_all(&dir);
}
