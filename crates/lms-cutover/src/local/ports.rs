//! Free loopback ports for a rehearsal's processes (and the tests that
//! stage one), chosen below the kernel's ephemeral range.
//!
//! A port the OS hands out for `bind(…:0)` lies in the ephemeral range, the
//! same range outgoing connections take their local port from: between
//! choosing it and the child process binding it, a load generator's or a
//! proxy's outgoing connection can take it, and the child dies with
//! "address in use". Ports from 20000–31999 are never given to outgoing
//! connections (Linux's default range starts at 32768), so a port free when
//! chosen stays free unless another process binds it on purpose; and two of
//! our processes choosing at once (parallel rehearsals, tests) never pick
//! the same one, because each choice is reserved by a file in the
//! temporary directory for ten minutes.
//!
//! Knows nothing about what will listen on the port.

use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

const LOW: u32 = 20_000;
const SPAN: u32 = 12_000;
/// A reservation older than this is stale (its process bound the port long
/// ago, or died).
const RESERVATION_TTL: Duration = Duration::from_secs(600);

/// Each call in a process starts further on, so two calls never return the
/// same port even before anything binds it.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// Where this process starts its walk: differs between processes.
fn seed() -> u32 {
    static SEED: OnceLock<u32> = OnceLock::new();
    *SEED.get_or_init(|| {
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        std::process::id().wrapping_mul(7_919) ^ nanos
    })
}

/// A loopback TCP port that nothing listens on now, outside the ephemeral
/// range, and that no other process of ours chose in the last minutes (a
/// reservation file in the temporary directory); `None` when none is free.
pub fn free_loopback_port() -> Option<u16> {
    let dir = std::env::temp_dir().join("lms-port-reservations");
    let _ = std::fs::create_dir_all(&dir);
    for _ in 0..SPAN {
        let step = NEXT.fetch_add(1, Ordering::Relaxed);
        // 8,729 is prime to 12,000: the walk visits every port once.
        let candidate = LOW + seed().wrapping_add(step.wrapping_mul(8_729)) % SPAN;
        let Ok(port) = u16::try_from(candidate) else { continue };
        if reserve(&dir.join(port.to_string())) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Some(port);
        }
    }
    None
}

/// Creates the reservation file; false when another process holds a fresh one.
fn reserve(path: &Path) -> bool {
    match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(_) => true,
        Err(_) => {
            let stale = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() > RESERVATION_TTL);
            stale
                && std::fs::remove_file(path).is_ok()
                && std::fs::OpenOptions::new().write(true).create_new(true).open(path).is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_and_outside_the_ephemeral_range() {
        let ports: Vec<u16> = (0..50).filter_map(|_| free_loopback_port()).collect();
        assert_eq!(ports.len(), 50);
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 50, "{ports:?}");
        assert!(ports.iter().all(|p| (20_000..32_000).contains(p)), "{ports:?}");
    }
}
