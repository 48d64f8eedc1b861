//! The sliding window: a ring of time slots, each holding its own counters.
//!
//! A slot is reused (cleared) when time comes back round to it, so memory is
//! fixed whatever the traffic. Knows nothing about HTTP; callers pass the
//! current time in whole seconds so tests can drive it.

use crate::stats::Counters;

/// At most this many slots; longer windows use wider slots.
const MAX_SLOTS: u64 = 60;

/// Ring of per-slot counters covering the last `window_secs` seconds.
#[derive(Debug)]
pub struct Window {
    slot_secs: u64,
    slots: Vec<(u64, Counters)>, // (slot epoch, counters)
}

impl Window {
    /// A window of `window_secs` (at least 1).
    pub fn new(window_secs: u64) -> Self {
        let window_secs = window_secs.max(1);
        let slot_secs = window_secs.div_ceil(MAX_SLOTS);
        let n = window_secs.div_ceil(slot_secs);
        Self { slot_secs, slots: (0..n).map(|_| (u64::MAX, Counters::default())).collect() }
    }

    /// The counters of the slot for `now_secs`, cleared if stale.
    pub fn slot(&mut self, now_secs: u64) -> &mut Counters {
        let epoch = now_secs / self.slot_secs;
        let len = self.slots.len() as u64;
        let (e, c) = &mut self.slots[(epoch % len) as usize];
        if *e != epoch {
            *e = epoch;
            c.clear();
        }
        c
    }

    /// Sum of every slot still inside the window at `now_secs`.
    pub fn sum(&self, now_secs: u64) -> Counters {
        let epoch = now_secs / self.slot_secs;
        let len = self.slots.len() as u64;
        let mut total = Counters::default();
        for (e, c) in &self.slots {
            if *e <= epoch && epoch - *e < len {
                total.merge(c);
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_slots_fall_out() {
        let mut w = Window::new(3);
        w.slot(100).requests += 1;
        w.slot(101).requests += 2;
        assert_eq!(w.sum(101).requests, 3);
        assert_eq!(w.sum(102).requests, 3);
        assert_eq!(w.sum(103).requests, 2);
        assert_eq!(w.sum(104).requests, 0);
        w.slot(104).requests += 5;
        assert_eq!(w.sum(104).requests, 5);
    }

    #[test]
    fn long_windows_use_wide_slots() {
        let mut w = Window::new(600);
        w.slot(0).requests += 1;
        assert_eq!(w.sum(599).requests, 1);
        assert_eq!(w.sum(600).requests, 0);
    }
}
