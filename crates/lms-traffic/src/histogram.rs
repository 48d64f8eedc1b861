//! A small log-linear latency histogram (about 3% relative precision).
//!
//! Fixed memory, mergeable, cheap to record into. Values are microseconds.
//! Knows nothing about requests or backends.

const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS; // 32 sub-buckets per power of two
const MAX_EXP: u32 = 40; // ~12 days in microseconds; larger values are clamped
const BUCKETS: usize = SUB + (MAX_EXP as usize - SUB_BITS as usize + 1) * SUB;

/// Latency histogram over microsecond values.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram").field("total", &self.total).finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: vec![0; BUCKETS].into_boxed_slice(), total: 0 }
    }
}

fn index(v: u64) -> usize {
    if v < SUB as u64 {
        return v as usize;
    }
    let exp = (63 - v.leading_zeros()).min(MAX_EXP);
    let v = v.min((1u64 << (MAX_EXP + 1)) - 1);
    let sub = ((v >> (exp - SUB_BITS)) as usize) & (SUB - 1);
    SUB + (exp - SUB_BITS) as usize * SUB + sub
}

/// Lower bound and width of a bucket.
fn bounds(i: usize) -> (u64, u64) {
    if i < SUB {
        return (i as u64, 1);
    }
    let exp = ((i - SUB) / SUB) as u32 + SUB_BITS;
    let sub = ((i - SUB) % SUB) as u64;
    let width = 1u64 << (exp - SUB_BITS);
    ((1u64 << exp) + sub * width, width)
}

impl Histogram {
    /// Records one value in microseconds.
    pub fn record(&mut self, micros: u64) {
        self.counts[index(micros)] += 1;
        self.total += 1;
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Adds another histogram into this one.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += *b;
        }
        self.total += other.total;
    }

    /// Empties the histogram.
    pub fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.total = 0;
    }

    /// The value at quantile `q` (0..=1), in microseconds (bucket midpoint).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, w) = bounds(i);
                return Some(lo as f64 + (w as f64 - 1.0) / 2.0);
            }
        }
        None
    }

    /// Count of values whose bucket lies entirely at or below `micros`
    /// (for Prometheus `le` buckets).
    pub fn count_at_or_below(&self, micros: u64) -> u64 {
        let mut n = 0;
        for (i, c) in self.counts.iter().enumerate() {
            let (lo, w) = bounds(i);
            if lo + w - 1 > micros {
                break;
            }
            n += c;
        }
        n
    }

    /// Upper bound of the largest non-empty bucket, in microseconds.
    pub fn max(&self) -> Option<f64> {
        let i = self.counts.iter().rposition(|c| *c > 0)?;
        let (lo, w) = bounds(i);
        Some((lo + w - 1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_values() {
        for v in [0u64, 1, 31, 32, 33, 1000, 123_456, 9_999_999, u64::MAX] {
            let i = index(v);
            assert!(i < BUCKETS);
            let (lo, w) = bounds(i);
            if v < (1u64 << (MAX_EXP + 1)) {
                assert!(lo <= v && v < lo + w, "{v} not in [{lo},{})", lo + w);
            }
        }
    }

    #[test]
    fn quantiles_are_close() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 100);
        }
        let p50 = h.quantile(0.5).unwrap_or(0.0);
        let p99 = h.quantile(0.99).unwrap_or(0.0);
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.04, "{p50}");
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.04, "{p99}");
        assert_eq!(h.count_at_or_below(u64::MAX), 10_000);
    }
}
