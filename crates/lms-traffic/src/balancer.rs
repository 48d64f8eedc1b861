//! Picks the backend for one request: stickiness first, then a weighted
//! random draw, then failover away from backends that are down.
//!
//! Reads one snapshot of the weights per request, so a concurrent change is
//! seen entirely or not at all. Knows nothing about HTTP.

use std::sync::atomic::Ordering;

use rand::Rng;

use crate::state::Shared;

/// Outcome of routing one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Send to this backend.
    Backend {
        /// Backend index.
        idx: usize,
        /// True when the weighted choice was down and we moved the request.
        failover: bool,
    },
    /// Every backend is down.
    AllDown,
}

/// Chooses a backend. `sticky` is the backend the client's cookie names.
pub fn pick(shared: &Shared, sticky: Option<usize>) -> Pick {
    let weights = shared.weights.load();
    let up = |i: usize| shared.backends.get(i).is_some_and(|b| b.up.load(Ordering::Relaxed));
    if let Some(i) = sticky {
        if weights.get(i).is_some_and(|w| *w > 0) && up(i) {
            return Pick::Backend { idx: i, failover: false };
        }
    }
    let mut rng = rand::thread_rng();
    let chosen = weighted(&weights, |_| true, &mut rng);
    if let Some(i) = chosen {
        if up(i) {
            return Pick::Backend { idx: i, failover: false };
        }
    }
    // The weighted choice is down: spread over healthy weighted backends,
    // or, if none has weight, over every healthy backend.
    let fallback = weighted(&weights, up, &mut rng).or_else(|| {
        let healthy: Vec<usize> = (0..shared.backends.len()).filter(|i| up(*i)).collect();
        if healthy.is_empty() {
            None
        } else {
            Some(healthy[rng.gen_range(0..healthy.len())])
        }
    });
    match fallback {
        Some(idx) => {
            shared.failovers.fetch_add(1, Ordering::Relaxed);
            Pick::Backend { idx, failover: true }
        }
        None => {
            shared.all_down.fetch_add(1, Ordering::Relaxed);
            Pick::AllDown
        }
    }
}

/// Weighted draw among backends for which `allowed` holds.
fn weighted(weights: &[u32], allowed: impl Fn(usize) -> bool, rng: &mut impl Rng) -> Option<usize> {
    let total: u32 = weights.iter().enumerate().filter(|(i, _)| allowed(*i)).map(|(_, w)| *w).sum();
    if total == 0 {
        return None;
    }
    let mut r = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if !allowed(i) {
            continue;
        }
        if r < *w {
            return Some(i);
        }
        r -= w;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_draw_follows_weights() {
        let mut rng = rand::thread_rng();
        let mut counts = [0u32; 2];
        for _ in 0..100_000 {
            if let Some(i) = weighted(&[90, 10], |_| true, &mut rng) {
                counts[i] += 1;
            }
        }
        let share = f64::from(counts[1]) / 1000.0;
        assert!((share - 10.0).abs() < 1.0, "green share {share}");
        assert_eq!(weighted(&[0, 0], |_| true, &mut rng), None);
        assert_eq!(weighted(&[100, 0], |i| i == 1, &mut rng), None);
    }
}
