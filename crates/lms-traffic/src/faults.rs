//! Fault injection in front of a backend, as Istio's VirtualService offers
//! it: abort a share of requests with a status, or delay a share of them.
//!
//! Off unless set through the admin API. Decides per request only; the
//! forwarder applies the decision and counts it like a real failure.

use std::time::Duration;

use rand::Rng;

use crate::admin::types::FaultSpec;

/// Longest delay the admin API accepts.
pub const MAX_DELAY_MS: u64 = 60_000;

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Answer this status without calling the backend.
    pub abort: Option<u16>,
    /// Wait this long before forwarding.
    pub delay: Option<Duration>,
}

/// Draws the faults for one request.
pub fn decide(spec: &FaultSpec) -> Decision {
    if spec.is_empty() {
        return Decision::default();
    }
    let mut rng = rand::thread_rng();
    let mut hit = |percent: f64| percent > 0.0 && rng.gen::<f64>() * 100.0 < percent;
    let delay = spec.delay.as_ref().filter(|d| hit(d.percent)).map(|d| Duration::from_millis(d.delay_ms));
    let abort = spec.abort.as_ref().filter(|a| hit(a.percent)).map(|a| a.status);
    Decision { abort, delay }
}

/// Checks a spec from the admin API; the message says what to fix.
pub fn validate(backend: &str, spec: &FaultSpec) -> Result<(), String> {
    let pct = |p: f64| p.is_finite() && (0.0..=100.0).contains(&p);
    if let Some(a) = &spec.abort {
        if !pct(a.percent) {
            return Err(format!("{backend}: abort.percent must be between 0 and 100"));
        }
        if !(200..=599).contains(&a.status) {
            return Err(format!("{backend}: abort.status must be between 200 and 599"));
        }
    }
    if let Some(d) = &spec.delay {
        if !pct(d.percent) {
            return Err(format!("{backend}: delay.percent must be between 0 and 100"));
        }
        if d.delay_ms > MAX_DELAY_MS {
            return Err(format!("{backend}: delay.delay_ms must be at most {MAX_DELAY_MS}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::types::{AbortFault, DelayFault};

    #[test]
    fn validation() {
        let bad = FaultSpec { abort: Some(AbortFault { percent: 101.0, status: 503 }), delay: None };
        assert!(validate("b", &bad).is_err());
        let bad = FaultSpec { abort: Some(AbortFault { percent: 5.0, status: 99 }), delay: None };
        assert!(validate("b", &bad).is_err());
        let bad = FaultSpec { abort: None, delay: Some(DelayFault { percent: f64::NAN, delay_ms: 1 }) };
        assert!(validate("b", &bad).is_err());
        let ok = FaultSpec { abort: Some(AbortFault { percent: 100.0, status: 503 }), delay: None };
        assert!(validate("b", &ok).is_ok());
        assert_eq!(decide(&ok).abort, Some(503));
        assert_eq!(decide(&FaultSpec::default()), Decision::default());
    }
}
