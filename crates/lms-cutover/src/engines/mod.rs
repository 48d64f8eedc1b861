//! Traffic drivers for real engines that sit in front of blue and green in
//! production (today: HAProxy and nginx), one directory per engine.
//!
//! Each engine implements [`crate::drivers::TrafficDriver`] in the engine's
//! own protocol and knows nothing of the runbook beyond the weights it is
//! asked to set; the runner picks one from the plan's `[traffic] kind`.

pub mod haproxy;
pub mod nginx;
