//! What the tests against real traffic engines (HAProxy, nginx) share: the
//! engine's binary installed on demand by its `scripts/ensure-*`, free
//! ports, and tiny HTTP servers that answer their own name (or a 500 on
//! `/fail`), one request per connection.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Makes sure `binary` runs (`binary <version_flag>`), running
/// `scripts/<script>` once when it does not; panics saying what to run if
/// that did not help.
/// Per binary: whether it runs, or why not.
type Checked = Vec<(String, Result<(), String>)>;

pub fn ensure_tool(binary: &str, version_flag: &str, script: &str) {
    static READY: OnceLock<Mutex<Checked>> = OnceLock::new();
    let present = || {
        Command::new(binary)
            .arg(version_flag)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut seen = READY.get_or_init(|| Mutex::new(Vec::new())).lock().unwrap_or_else(|p| p.into_inner());
    if !seen.iter().any(|(b, _)| b == binary) {
        let outcome = if present() {
            Ok(())
        } else {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts").join(script);
            let ran = Command::new(&path).status();
            if present() {
                Ok(())
            } else {
                Err(format!(
                    "{binary} is not installed and {} did not install it ({ran:?}): run scripts/{script}",
                    path.display()
                ))
            }
        };
        seen.push((binary.to_string(), outcome));
    }
    if let Some((_, Err(message))) = seen.iter().find(|(b, _)| b == binary) {
        panic!("{message}");
    }
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// A tiny HTTP server answering `name` (or a 500 on `/fail`), one request
/// per connection.
pub async fn name_server(name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let status = if request.starts_with(b"GET /fail ") { "500 Internal Server Error" } else { "200 OK" };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{name}",
                    name.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    port
}
