//! Free loopback ports for a rehearsal's processes (and the tests that
//! stage one), chosen below the kernel's ephemeral range.
//!
//! A port the OS hands out for `bind(…:0)` lies in the ephemeral range, the
//! same range outgoing connections take their local port from: between
//! choosing it and the child process binding it, a load generator's or a
//! proxy's outgoing connection can take it, and the child dies with
//! "address in use". Ports from 20000–32767 are never given to outgoing
//! connections (Linux's default range starts at 32768), so a port free when
//! chosen stays free unless another process binds it on purpose.
//!
//! Knows nothing about what will listen on the port.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

const LOW: u32 = 20_000;
const SPAN: u32 = 12_000;

/// Each call in a process starts further on, so two calls never return the
/// same port even before anything binds it.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A loopback TCP port that nothing listens on now, outside the ephemeral
/// range; `None` when none of the candidates is free.
pub fn free_loopback_port() -> Option<u16> {
    let seed = std::process::id().wrapping_mul(7_919) ^ nanos();
    for _ in 0..SPAN {
        let step = NEXT.fetch_add(1, Ordering::Relaxed);
        let candidate = LOW + seed.wrapping_add(step.wrapping_mul(104_729)) % SPAN;
        let Ok(port) = u16::try_from(candidate) else { continue };
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Some(port);
        }
    }
    None
}

fn nanos() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
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
