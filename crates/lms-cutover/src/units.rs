//! Small value types that cannot hold invalid values: percentages, traffic
//! weights that always sum to 100, plan durations, version specifications.
//!
//! They parse from the strings people write in a plan (`"1%"`, `"15m"`,
//! `"2.x"`) and know nothing about where those strings came from.

use std::fmt;
use std::str::FromStr;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::error::{CutoverError, Result};

/// A percentage between 0 and 100 inclusive, finite.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Percent(f64);

impl Percent {
    /// Zero percent.
    pub const ZERO: Percent = Percent(0.0);

    /// A percentage; rejects NaN, infinities and values outside 0..=100.
    pub fn new(value: f64) -> Result<Self> {
        if value.is_finite() && (0.0..=100.0).contains(&value) {
            Ok(Percent(value))
        } else {
            Err(CutoverError::invalid("percent", format!("{value} is not between 0 and 100")))
        }
    }

    /// `part` out of `whole` as a percentage; `None` when `whole` is zero
    /// (no data is not 0%).
    pub fn ratio(part: u64, whole: u64) -> Option<Self> {
        if whole == 0 {
            return None;
        }
        let part = part.min(whole);
        Some(Percent(part as f64 * 100.0 / whole as f64))
    }

    /// The value, 0..=100.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Percent {
    type Error = CutoverError;
    fn try_from(v: f64) -> Result<Self> {
        Percent::new(v)
    }
}

impl From<Percent> for f64 {
    fn from(p: Percent) -> f64 {
        p.0
    }
}

impl FromStr for Percent {
    type Err = CutoverError;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        let Some(num) = t.strip_suffix('%') else {
            return Err(CutoverError::invalid("percent", format!("{s:?} must end with '%', e.g. \"1%\"")));
        };
        let v: f64 =
            num.trim().parse().map_err(|_| CutoverError::invalid("percent", format!("{s:?} is not a number")))?;
        Percent::new(v)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.2}", self.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{text}%")
    }
}

/// A traffic weight, 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Weight(u8);

impl Weight {
    /// A weight; rejects values above 100.
    pub fn new(value: i64) -> Result<Self> {
        if (0..=100).contains(&value) {
            Ok(Weight(value as u8))
        } else {
            Err(CutoverError::invalid("weight", format!("{value} is not between 0 and 100")))
        }
    }

    /// The value, 0..=100.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Weight {
    type Error = CutoverError;
    fn try_from(v: i64) -> Result<Self> {
        Weight::new(v)
    }
}

impl From<Weight> for u8 {
    fn from(w: Weight) -> u8 {
        w.0
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A blue/green split whose two weights always sum to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawWeights")]
pub struct Weights {
    blue: Weight,
    green: Weight,
}

#[derive(Deserialize)]
struct RawWeights {
    blue: i64,
    green: i64,
}

impl TryFrom<RawWeights> for Weights {
    type Error = CutoverError;
    fn try_from(r: RawWeights) -> Result<Self> {
        Weights::new(r.blue, r.green)
    }
}

impl Default for Weights {
    /// All traffic on blue.
    fn default() -> Self {
        Weights::ALL_BLUE
    }
}

impl Weights {
    /// All traffic on blue: the starting point and the rollback target.
    pub const ALL_BLUE: Weights = Weights { blue: Weight(100), green: Weight(0) };

    /// A split; rejects weights that do not sum to 100.
    pub fn new(blue: i64, green: i64) -> Result<Self> {
        let b = Weight::new(blue)?;
        let g = Weight::new(green)?;
        if u16::from(b.0) + u16::from(g.0) != 100 {
            return Err(CutoverError::invalid("weights", format!("blue {blue} + green {green} must sum to 100")));
        }
        Ok(Weights { blue: b, green: g })
    }

    /// `green` percent to green, the rest to blue.
    pub fn green(green: Weight) -> Self {
        Weights { blue: Weight(100 - green.0), green }
    }

    /// Blue's share.
    pub fn blue_weight(self) -> Weight {
        self.blue
    }

    /// Green's share.
    pub fn green_weight(self) -> Weight {
        self.green
    }
}

impl fmt::Display for Weights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "blue {} / green {}", self.blue, self.green)
    }
}

/// A duration written in a plan: `"15m"`, `"15 min"`, `"2h"`, `"10s"`,
/// `"500ms"`, `"7d"`, or `"-"` / `"0"` for none. Never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlanDuration(TimeDelta);

impl PlanDuration {
    /// No time at all.
    pub const ZERO: PlanDuration = PlanDuration(TimeDelta::zero());

    /// From a non-negative [`TimeDelta`].
    pub fn new(d: TimeDelta) -> Result<Self> {
        if d < TimeDelta::zero() {
            return Err(CutoverError::invalid("duration", "must not be negative"));
        }
        Ok(PlanDuration(d))
    }

    /// Whole minutes.
    pub fn minutes(m: i64) -> Result<Self> {
        Self::new(TimeDelta::try_minutes(m).ok_or_else(|| too_long(&format!("{m}m")))?)
    }

    /// Whole seconds.
    pub fn seconds(s: i64) -> Result<Self> {
        Self::new(TimeDelta::try_seconds(s).ok_or_else(|| too_long(&format!("{s}s")))?)
    }

    /// The span as a chrono delta.
    pub fn delta(self) -> TimeDelta {
        self.0
    }

    /// The span as a std duration (for sleeping drivers).
    pub fn to_std(self) -> std::time::Duration {
        self.0.to_std().unwrap_or_default()
    }

    /// This duration divided by a compression factor (rehearsals), never
    /// below one millisecond unless it was zero.
    pub fn compressed(self, factor: u32) -> PlanDuration {
        if factor <= 1 || self.0.is_zero() {
            return self;
        }
        let ms = (self.0.num_milliseconds() / i64::from(factor)).max(1);
        PlanDuration(TimeDelta::milliseconds(ms))
    }

    /// True for a zero duration (written `-` in the seed's tables).
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

fn too_long(s: &str) -> CutoverError {
    CutoverError::invalid("duration", format!("{s:?} is longer than any clock can count"))
}

impl FromStr for PlanDuration {
    type Err = CutoverError;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        if t == "-" || t == "0" {
            return Ok(PlanDuration::ZERO);
        }
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| {
            CutoverError::invalid("duration", format!("{s:?} needs a unit: ms, s, m, min, h or d (e.g. \"15m\")"))
        })?;
        let (num, unit) = t.split_at(split);
        let n: i64 = num
            .parse()
            .map_err(|_| CutoverError::invalid("duration", format!("{s:?} must start with a whole number")))?;
        let d = match unit.trim() {
            "ms" => TimeDelta::try_milliseconds(n),
            "s" | "sec" => TimeDelta::try_seconds(n),
            "m" | "min" => TimeDelta::try_minutes(n),
            "h" => TimeDelta::try_hours(n),
            "d" => TimeDelta::try_days(n),
            other => {
                return Err(CutoverError::invalid(
                    "duration",
                    format!("unknown unit {other:?} in {s:?}; use ms, s, m, min, h or d"),
                ))
            }
        };
        PlanDuration::new(d.ok_or_else(|| too_long(s))?)
    }
}

impl TryFrom<String> for PlanDuration {
    type Error = CutoverError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<PlanDuration> for String {
    fn from(d: PlanDuration) -> String {
        d.to_string()
    }
}

impl fmt::Display for PlanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.num_milliseconds();
        if ms == 0 {
            write!(f, "0s")
        } else if ms % 86_400_000 == 0 {
            write!(f, "{}d", ms / 86_400_000)
        } else if ms % 3_600_000 == 0 {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms % 60_000 == 0 {
            write!(f, "{}m", ms / 60_000)
        } else if ms % 1000 == 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

/// Which deployment something refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// The version running now.
    Blue,
    /// The version being deployed.
    Green,
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Slot::Blue => "blue",
            Slot::Green => "green",
        })
    }
}

/// An expected version: exact (`"3.0.0"`), a pattern with `x` wildcards
/// (`"2.x"`, `"2.x.x"`), or `"self"` / `"{{version}}"`: the version of the
/// running build, resolved at run time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum VersionSpec {
    /// The version of this build.
    OwnBuild,
    /// Dot-separated parts; `None` is a wildcard.
    Pattern(Vec<Option<u64>>),
}

impl VersionSpec {
    /// Whether `actual` (e.g. `"2.4.1"` or `"v2.4.1"`) satisfies this spec;
    /// `own` is this build's version, used for [`VersionSpec::OwnBuild`].
    pub fn matches(&self, actual: &str, own: &str) -> bool {
        let parse = |s: &str| -> Option<Vec<u64>> {
            let s = s.trim().trim_start_matches('v');
            let core = s.split(['-', '+']).next().unwrap_or(s);
            core.split('.').map(|p| p.parse().ok()).collect()
        };
        let Some(actual) = parse(actual) else {
            return false;
        };
        match self {
            VersionSpec::OwnBuild => parse(own).is_some_and(|o| o == actual),
            VersionSpec::Pattern(parts) => {
                // "2.x" matches 2, 2.1, 2.1.3; "3.0.0" needs exactly 3.0.0.
                let last_is_wild = matches!(parts.last(), Some(None));
                if actual.len() < parts.len() || (!last_is_wild && actual.len() != parts.len()) {
                    return false;
                }
                parts.iter().zip(&actual).all(|(p, a)| p.is_none_or(|p| p == *a))
            }
        }
    }

    /// The spec as text, with the own-build version filled in.
    pub fn resolve(&self, own: &str) -> String {
        match self {
            VersionSpec::OwnBuild => own.to_string(),
            other => other.to_string(),
        }
    }
}

impl FromStr for VersionSpec {
    type Err = CutoverError;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        if t == "self" || t == "{{version}}" {
            return Ok(VersionSpec::OwnBuild);
        }
        let t = t.trim_start_matches('v');
        let parts: Result<Vec<Option<u64>>> = t
            .split('.')
            .map(|p| match p {
                "x" | "X" | "*" => Ok(None),
                n => n.parse().map(Some).map_err(|_| {
                    CutoverError::invalid(
                        "version",
                        format!("{s:?}: use numbers and x, e.g. \"2.x\" or \"3.0.0\", or \"self\""),
                    )
                }),
            })
            .collect();
        let parts = parts?;
        if parts.is_empty() || parts.len() > 3 {
            return Err(CutoverError::invalid("version", format!("{s:?} must have one to three parts")));
        }
        Ok(VersionSpec::Pattern(parts))
    }
}

impl TryFrom<String> for VersionSpec {
    type Error = CutoverError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<VersionSpec> for String {
    fn from(v: VersionSpec) -> String {
        v.to_string()
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::OwnBuild => f.write_str("self"),
            VersionSpec::Pattern(parts) => {
                let s: Vec<String> =
                    parts.iter().map(|p| p.map_or_else(|| "x".to_string(), |n| n.to_string())).collect();
                f.write_str(&s.join("."))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rejects_out_of_range_and_nan() {
        assert!(Percent::new(-0.1).is_err());
        assert!(Percent::new(100.1).is_err());
        assert!(Percent::new(f64::NAN).is_err());
        assert_eq!("0.5%".parse::<Percent>().unwrap().value(), 0.5);
        assert!("0.5".parse::<Percent>().is_err());
        assert_eq!(Percent::ratio(1, 0), None);
        assert_eq!(Percent::ratio(1, 4).unwrap().value(), 25.0);
    }

    #[test]
    fn weights_always_sum_to_100() {
        assert!(Weights::new(90, 10).is_ok());
        assert!(Weights::new(90, 20).is_err());
        assert!(Weights::new(101, -1).is_err());
        let w = Weights::green(Weight::new(10).unwrap());
        assert_eq!(w.blue_weight().get(), 90);
        let parsed: Weights = serde_json::from_str(r#"{"blue":50,"green":60}"#).unwrap_or(w);
        assert_eq!(parsed, w, "invalid JSON weights must not deserialize");
    }

    #[test]
    fn durations_parse_the_seed_notation() {
        assert_eq!("15 min".parse::<PlanDuration>().unwrap().delta(), TimeDelta::minutes(15));
        assert_eq!("2h".parse::<PlanDuration>().unwrap().delta(), TimeDelta::hours(2));
        assert_eq!("-".parse::<PlanDuration>().unwrap(), PlanDuration::ZERO);
        assert_eq!("500ms".parse::<PlanDuration>().unwrap().to_string(), "500ms");
        assert!("15".parse::<PlanDuration>().is_err());
        assert!("15 fortnights".parse::<PlanDuration>().is_err());
        let w = "15m".parse::<PlanDuration>().unwrap().compressed(300);
        assert_eq!(w.delta(), TimeDelta::seconds(3));
    }

    #[test]
    fn version_specs_match() {
        let blue: VersionSpec = "2.x".parse().unwrap();
        assert!(blue.matches("2.4.1", "3.0.0"));
        assert!(blue.matches("v2.0", "3.0.0"));
        assert!(!blue.matches("3.0.0", "3.0.0"));
        let green: VersionSpec = "3.0.0".parse().unwrap();
        assert!(green.matches("3.0.0", "x"));
        assert!(!green.matches("3.0.1", "x"));
        assert!(!green.matches("3.0", "x"));
        let own: VersionSpec = "{{version}}".parse().unwrap();
        assert!(own.matches("3.0.0", "3.0.0"));
        assert!(!own.matches("3.0.1", "3.0.0"));
        assert!("2.y".parse::<VersionSpec>().is_err());
    }
}
