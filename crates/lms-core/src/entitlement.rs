//! Entitlement policies: what a person is entitled to in a leave year, as
//! the ledger lines a scheduled job writes — a yearly allocation (pro-rata
//! for joiners and leavers) or monthly accrual (on the first or last day of
//! each month, or on the day of the month the person joined), carry-over
//! into the next year with a cap, and the expiry of what was carried and not
//! used by a date. Each line has a key naming the person-independent period
//! it is for, so a job that writes lines by key (insert if absent) can run
//! twice, or again after a crash, and change nothing.
//!
//! Rounding, declared once: amounts are thousandths of a day (or, for a
//! type measured in hours — [`Policy::in_unit`] —, minutes); a pro-rata
//! allowance is rounded **up to the next half day** (hours: **up to the
//! next whole hour**), in the person's favour; monthly accrual is cumulative — after month k the person has
//! `round(allowance × k / 12)` — so twelve months add up to the allowance
//! exactly, with no drift. Carried days are used first.
//!
//! Pure: knows nothing of the job that writes the lines or of storage.

use crate::{DateRange, DomainError, LeaveAmount, LeaveUnit, LeaveYearStart, LedgerKind};
use chrono::{Datelike, Months, NaiveDate};

/// When monthly accrual is credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccrualDay {
    /// The first day of each month.
    FirstOfMonth,
    /// The last day of each month.
    LastOfMonth,
    /// The day of the month the person joined (the month's last day when
    /// shorter: a 31st joiner accrues on 30 April and 28/29 February).
    Anniversary,
}

/// How the yearly allowance is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accrual {
    /// All of it on the first day of the year (pro-rata for joiners and leavers).
    Yearly,
    /// A twelfth each month, on the given day.
    Monthly(AccrualDay),
}

/// An entitlement policy for one leave type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    allowance: LeaveAmount,
    accrual: Accrual,
    carry_over_cap: LeaveAmount,
    carry_over_months: u32,
    unit: LeaveUnit,
}

impl Policy {
    /// `allowance` per full year; up to `carry_over_cap` of what is unused
    /// at the end of a year moves to the next, where it expires after
    /// `carry_over_months` months (1 to 12).
    pub fn new(
        allowance: LeaveAmount,
        accrual: Accrual,
        carry_over_cap: LeaveAmount,
        carry_over_months: u32,
    ) -> Result<Self, DomainError> {
        if allowance < LeaveAmount::ZERO || carry_over_cap < LeaveAmount::ZERO {
            return Err(DomainError::EntitlementAmount("an allowance and a carry-over cap cannot be negative"));
        }
        if !(1..=12).contains(&carry_over_months) {
            return Err(DomainError::EntitlementAmount("carried days expire after 1 to 12 months"));
        }
        Ok(Policy { allowance, accrual, carry_over_cap, carry_over_months, unit: LeaveUnit::Days })
    }

    /// The policy of a type measured in `unit`: its amounts are that
    /// unit's integers (millidays, or minutes for hours), and a pro-rata
    /// share rounds up to the half day, or to the whole hour.
    pub fn in_unit(self, unit: LeaveUnit) -> Self {
        Policy { unit, ..self }
    }
    pub fn unit(&self) -> LeaveUnit {
        self.unit
    }
    pub fn allowance(&self) -> LeaveAmount {
        self.allowance
    }
    pub fn accrual(&self) -> Accrual {
        self.accrual
    }
    pub fn carry_over_cap(&self) -> LeaveAmount {
        self.carry_over_cap
    }
    pub fn carry_over_months(&self) -> u32 {
        self.carry_over_months
    }
}

impl Accrual {
    pub const ALL: [Accrual; 4] = [
        Accrual::Yearly,
        Accrual::Monthly(AccrualDay::FirstOfMonth),
        Accrual::Monthly(AccrualDay::LastOfMonth),
        Accrual::Monthly(AccrualDay::Anniversary),
    ];

    /// `yearly`, `monthly-first`, `monthly-last` or `monthly-anniversary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Accrual::Yearly => "yearly",
            Accrual::Monthly(AccrualDay::FirstOfMonth) => "monthly-first",
            Accrual::Monthly(AccrualDay::LastOfMonth) => "monthly-last",
            Accrual::Monthly(AccrualDay::Anniversary) => "monthly-anniversary",
        }
    }
}

impl std::str::FromStr for Accrual {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        Accrual::ALL.into_iter().find(|a| a.as_str() == s).ok_or(DomainError::EntitlementAmount(
            "accrual must be yearly, monthly-first, monthly-last or monthly-anniversary",
        ))
    }
}

/// When a person is employed: from `start`, until `end` (their last day) if they leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Employment {
    start: NaiveDate,
    end: Option<NaiveDate>,
}

impl Employment {
    /// Employed from `start` to `end` (inclusive); `end` before `start` is refused.
    pub fn new(start: NaiveDate, end: Option<NaiveDate>) -> Result<Self, DomainError> {
        if let Some(e) = end {
            DateRange::new(start, e)?;
        }
        Ok(Employment { start, end })
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }

    fn employed_on(&self, d: NaiveDate) -> bool {
        d >= self.start && self.end.is_none_or(|e| d <= e)
    }
}

/// A ledger line a job writes once, by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Unique per person, leave type and year: `allocation`, `accrual:2026-05`,
    /// `carry-over`, `expiry`.
    pub key: String,
    /// Why.
    pub kind: LedgerKind,
    /// The day it counts from.
    pub valid_from: NaiveDate,
    /// How much (negative for an expiry).
    pub amount: LeaveAmount,
}

/// `amount` rounded up to the next half day, or for hours (minutes) to
/// the next whole hour.
fn round_up(unit: LeaveUnit, amount: i64) -> LeaveAmount {
    let step = match unit {
        LeaveUnit::Days => LeaveAmount::HALF_DAY.millidays(),
        LeaveUnit::Hours => 60,
    };
    LeaveAmount::from_millidays((amount + step - 1).div_euclid(step) * step)
}

/// The allocation and accrual lines of leave year `year` that are due on
/// or before `today` (a job run on any day writes what is due by then).
pub fn entitlement_lines(
    policy: &Policy,
    employment: &Employment,
    year_start: LeaveYearStart,
    year: i32,
    today: NaiveDate,
) -> Vec<Line> {
    let Some(range) = year_start.range(year) else { return Vec::new() };
    match policy.accrual {
        Accrual::Yearly => {
            let employed = range.days().filter(|d| employment.employed_on(*d)).count() as i64;
            let total = range.days().count() as i64;
            if employed == 0 {
                return Vec::new();
            }
            let valid_from = employment.start.max(range.start());
            if valid_from > today {
                return Vec::new();
            }
            let amount = if employed == total {
                policy.allowance
            } else {
                // Pro-rata by days employed, rounded up to the half day.
                let exact = i128::from(policy.allowance.millidays()) * i128::from(employed);
                let millidays = i64::try_from((exact + i128::from(total) - 1) / i128::from(total)).unwrap_or(i64::MAX);
                round_up(policy.unit, millidays).min(policy.allowance)
            };
            vec![Line { key: "allocation".into(), kind: LedgerKind::Allocation, valid_from, amount }]
        }
        Accrual::Monthly(day) => {
            let mut lines = Vec::new();
            let cumulative = |k: i64| {
                let exact = i128::from(policy.allowance.millidays()) * i128::from(k);
                // Half away from zero, in integers.
                i64::try_from((exact * 2 + 12) / 24).unwrap_or(i64::MAX)
            };
            for k in 1..=12i64 {
                let Some(month_start) = range.start().checked_add_months(Months::new((k - 1) as u32)) else { break };
                let Some(on) = accrual_date(month_start, day, employment.start) else { continue };
                if on > today || !employment.employed_on(on) {
                    continue;
                }
                let amount = LeaveAmount::from_millidays(cumulative(k) - cumulative(k - 1));
                lines.push(Line {
                    key: format!("accrual:{:04}-{:02}", month_start.year(), month_start.month()),
                    kind: LedgerKind::Accrual,
                    valid_from: on,
                    amount,
                });
            }
            lines
        }
    }
}

/// The lines still to write, given the `written` lines of the same person,
/// type and year by key (`allocation` for any allocation, the job's or
/// HR's): those whose key is absent, and — for a person leaving in the
/// year — a pro-rata line settling the allocation already written against
/// the share the leaving date gives (key `pro-rata:<leaving date>`, so a
/// second run, or a run after a crash, writes it once).
pub fn to_write(
    due: Vec<Line>,
    written: &std::collections::HashMap<String, LeaveAmount>,
    employment: &Employment,
) -> Vec<Line> {
    let mut out = Vec::new();
    for line in due {
        match written.get(&line.key) {
            None => out.push(line),
            Some(_) if line.kind == LedgerKind::Allocation => {
                let Some(end) = employment.end else { continue };
                let key = format!("pro-rata:{end}");
                if written.contains_key(&key) {
                    continue;
                }
                let so_far: LeaveAmount = written
                    .iter()
                    .filter(|(k, _)| *k == "allocation" || k.starts_with("pro-rata:"))
                    .fold(LeaveAmount::ZERO, |sum, (_, a)| sum + *a);
                let diff = line.amount - so_far;
                if diff != LeaveAmount::ZERO {
                    out.push(Line { key, kind: LedgerKind::ProRata, valid_from: end, amount: diff });
                }
            }
            Some(_) => {}
        }
    }
    out
}

/// The day in the month starting `month_start` on which accrual is credited.
fn accrual_date(month_start: NaiveDate, day: AccrualDay, joined: NaiveDate) -> Option<NaiveDate> {
    let last = month_start.checked_add_months(Months::new(1))?.pred_opt()?;
    match day {
        AccrualDay::FirstOfMonth => Some(month_start),
        AccrualDay::LastOfMonth => Some(last),
        AccrualDay::Anniversary => {
            let d = joined.day().min(last.day());
            month_start.with_day(d)
        }
    }
}

/// The carry-over line into year `year + 1`: what was unused at the end of
/// `year`, up to the cap; none when nothing is carried.
pub fn carry_over(policy: &Policy, year_start: LeaveYearStart, year: i32, unused: LeaveAmount) -> Option<Line> {
    let carried = unused.min(policy.carry_over_cap);
    if carried <= LeaveAmount::ZERO {
        return None;
    }
    let valid_from = year_start.first_day(year.checked_add(1)?)?;
    Some(Line { key: "carry-over".into(), kind: LedgerKind::CarryOver, valid_from, amount: carried })
}

/// The day carried days expire in year `year` (they count until the day before).
pub fn expiry_date(policy: &Policy, year_start: LeaveYearStart, year: i32) -> Option<NaiveDate> {
    year_start.first_day(year)?.checked_add_months(Months::new(policy.carry_over_months))
}

/// The expiry line of year `year`: of `carried`, what leave `taken` before
/// the expiry date did not use (carried days are used first); none when all
/// was used.
pub fn expiry(
    policy: &Policy,
    year_start: LeaveYearStart,
    year: i32,
    carried: LeaveAmount,
    taken: LeaveAmount,
) -> Option<Line> {
    let unused = carried - taken.min(carried).max(LeaveAmount::ZERO);
    if unused <= LeaveAmount::ZERO {
        return None;
    }
    Some(Line {
        key: "expiry".into(),
        kind: LedgerKind::Expiry,
        valid_from: expiry_date(policy, year_start, year)?,
        amount: -unused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn days(n: i64) -> LeaveAmount {
        LeaveAmount::days(n)
    }

    #[test]
    fn a_joiner_in_october_gets_a_rounded_up_share() {
        // Worked example (docs/LEAVE-RULES.md): 25 days a calendar year,
        // joined 13 October 2026: employed 80 of 365 days → 5.479… days,
        // rounded up to the half day: 5.5.
        let policy = Policy::new(days(25), Accrual::Yearly, days(5), 3).expect("policy");
        let joined = Employment::new(d("2026-10-13"), None).expect("employment");
        let lines = entitlement_lines(&policy, &joined, LeaveYearStart::default(), 2026, d("2026-12-31"));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].amount, LeaveAmount::from_millidays(5500));
        assert_eq!(lines[0].valid_from, d("2026-10-13"));
        // A full year: the whole allowance, on the first day.
        let always = Employment::new(d("2020-01-01"), None).expect("employment");
        let full = entitlement_lines(&policy, &always, LeaveYearStart::default(), 2026, d("2026-01-01"));
        assert_eq!((full[0].amount, full[0].valid_from), (days(25), d("2026-01-01")));
    }

    #[test]
    fn an_hours_share_rounds_up_to_the_whole_hour() {
        // 100 hours a calendar year, joined Tuesday 13 October 2026:
        // 100 × 80 / 365 = 21.92 hours, rounded up to 22 hours.
        let policy = Policy::new(LeaveAmount::from_millidays(6000), Accrual::Yearly, LeaveAmount::ZERO, 3)
            .expect("policy")
            .in_unit(LeaveUnit::Hours);
        let joiner = Employment::new(d("2026-10-13"), None).expect("employment");
        let lines = entitlement_lines(&policy, &joiner, LeaveYearStart::default(), 2026, d("2026-12-31"));
        assert_eq!(lines.iter().map(|l| l.amount.millidays()).collect::<Vec<_>>(), vec![22 * 60]);
    }

    #[test]
    fn monthly_accrual_adds_up_to_the_allowance_without_drift() {
        // 25 days a year in twelfths: 2.083, 2.084 (4.167), 2.083 (6.25), …
        let policy = Policy::new(days(25), Accrual::Monthly(AccrualDay::FirstOfMonth), days(5), 3).expect("policy");
        let always = Employment::new(d("2020-01-01"), None).expect("employment");
        let april = LeaveYearStart::new(4).expect("april");
        let lines = entitlement_lines(&policy, &always, april, 2026, d("2027-12-31"));
        assert_eq!(lines.len(), 12);
        let amounts: Vec<i64> = lines.iter().map(|l| l.amount.millidays()).collect();
        assert_eq!(&amounts[..3], &[2083, 2084, 2083]);
        assert_eq!(amounts.iter().sum::<i64>(), 25_000);
        assert_eq!(lines[0].key, "accrual:2026-04");
        assert_eq!(lines[11].key, "accrual:2027-03");
        // Run on 15 June: April, May and June are due, nothing later.
        assert_eq!(entitlement_lines(&policy, &always, april, 2026, d("2026-06-15")).len(), 3);
    }

    #[test]
    fn anniversary_accrual_falls_back_to_the_months_last_day() {
        let policy = Policy::new(days(12), Accrual::Monthly(AccrualDay::Anniversary), days(0), 1).expect("policy");
        let joined = Employment::new(d("2026-01-31"), None).expect("employment");
        let lines = entitlement_lines(&policy, &joined, LeaveYearStart::default(), 2026, d("2026-12-31"));
        let dates: Vec<NaiveDate> = lines.iter().map(|l| l.valid_from).collect();
        assert_eq!(dates[0], d("2026-01-31"));
        assert_eq!(dates[1], d("2026-02-28"));
        assert_eq!(dates[3], d("2026-04-30"));
        assert_eq!(lines.len(), 12);
    }

    #[test]
    fn carried_days_are_capped_and_expire_unless_used_first() {
        // Worked example: 7 days unused at the end of 2026, cap 5: 5 carried
        // into 2027; they expire on 1 April 2027 (3 months); 2 days taken
        // before then use carried days first, so 3 expire.
        let policy = Policy::new(days(25), Accrual::Yearly, days(5), 3).expect("policy");
        let year = LeaveYearStart::default();
        let carried = carry_over(&policy, year, 2026, days(7)).expect("carried");
        assert_eq!((carried.amount, carried.valid_from), (days(5), d("2027-01-01")));
        let expired = expiry(&policy, year, 2027, carried.amount, days(2)).expect("expired");
        assert_eq!((expired.amount, expired.valid_from), (-days(3), d("2027-04-01")));
        assert_eq!(expiry(&policy, year, 2027, days(5), days(6)), None, "all used");
        assert_eq!(carry_over(&policy, year, 2026, LeaveAmount::ZERO), None);
    }

    #[test]
    fn a_leaver_settles_the_allocation_once() {
        // 25 days for 2026 written on 1 January; the person leaves on
        // 30 June: 181 of 365 days → 12.397, rounded up to 12.5; the
        // pro-rata line takes 12.5 back, once.
        let policy = Policy::new(days(25), Accrual::Yearly, days(0), 1).expect("policy");
        let year = LeaveYearStart::default();
        let leaving = Employment::new(d("2020-01-01"), Some(d("2026-06-30"))).expect("employment");
        let due = entitlement_lines(&policy, &leaving, year, 2026, d("2026-07-01"));
        assert_eq!(due[0].amount, LeaveAmount::from_millidays(12_500));
        let mut written = std::collections::HashMap::from([("allocation".to_string(), days(25))]);
        let lines = to_write(due.clone(), &written, &leaving);
        assert_eq!(lines.len(), 1);
        assert_eq!(
            (lines[0].key.as_str(), lines[0].kind, lines[0].amount, lines[0].valid_from),
            ("pro-rata:2026-06-30", LedgerKind::ProRata, -LeaveAmount::from_millidays(12_500), d("2026-06-30"))
        );
        written.insert(lines[0].key.clone(), lines[0].amount);
        assert_eq!(to_write(due.clone(), &written, &leaving), Vec::new(), "a second run writes nothing");
        // Someone staying gets nothing more once the allocation is there.
        let staying = Employment::new(d("2020-01-01"), None).expect("employment");
        let due = entitlement_lines(&policy, &staying, year, 2026, d("2026-07-01"));
        assert_eq!(to_write(due, &written, &staying), Vec::new());
    }

    #[test]
    fn accrual_names_round_trip() {
        for a in Accrual::ALL {
            assert_eq!(a.as_str().parse::<Accrual>().ok(), Some(a));
        }
        assert!("weekly".parse::<Accrual>().is_err());
    }

    proptest! {
        /// The job twice is the job once: after writing what `to_write`
        /// gives, for any policy, employment (joiners, leavers) and day,
        /// nothing more is due; and a later day never takes back a line.
        #[test]
        fn a_second_run_writes_nothing(
            allowance in 0i64..40_000,
            accrual in 0usize..4,
            start_offset in -400i64..400,
            leaves_after in proptest::option::of(0i64..500),
            run_offset in 0i64..400,
            month in 1u32..=12,
        ) {
            let ys = LeaveYearStart::new(month).expect("month");
            let first = ys.first_day(2026).expect("first day");
            let start = first + chrono::Duration::days(start_offset);
            let employment = Employment::new(start, leaves_after.map(|n| start + chrono::Duration::days(n))).expect("employment");
            let policy = Policy::new(LeaveAmount::from_millidays(allowance), Accrual::ALL[accrual], LeaveAmount::ZERO, 1).expect("policy");
            let as_of = first + chrono::Duration::days(run_offset);
            let mut written = std::collections::HashMap::new();
            let first_run = to_write(entitlement_lines(&policy, &employment, ys, 2026, as_of), &written, &employment);
            for l in &first_run {
                prop_assert!(written.insert(l.key.clone(), l.amount).is_none(), "one line per key");
            }
            let again = to_write(entitlement_lines(&policy, &employment, ys, 2026, as_of), &written, &employment);
            prop_assert_eq!(again, Vec::new());
            let later = entitlement_lines(&policy, &employment, ys, 2026, as_of + chrono::Duration::days(60));
            for l in &first_run {
                prop_assert!(later.iter().any(|x| x.key == l.key && x.amount == l.amount), "{:?} stays due", l);
            }
        }

        /// Pro-rata is a whole number of half days, never above the
        /// allowance, never below the exact share; monthly accrual over a
        /// whole employed year is the allowance exactly; the keys of a
        /// year's lines are distinct (a job writing by key is idempotent).
        #[test]
        fn shares_round_in_the_persons_favour(allowance in 0i64..60_000, joined_offset in 0i64..365, month in 1u32..=12) {
            let start = LeaveYearStart::new(month).expect("month");
            let range = start.range(2026).expect("range");
            let joined = range.start() + chrono::Duration::days(joined_offset);
            let employment = Employment::new(joined, None).expect("employment");
            let yearly = Policy::new(LeaveAmount::from_millidays(allowance), Accrual::Yearly, LeaveAmount::ZERO, 1).expect("policy");
            let lines = entitlement_lines(&yearly, &employment, start, 2026, range.end());
            prop_assert_eq!(lines.len(), 1);
            let got = lines[0].amount.millidays();
            let total = range.days().count() as i64;
            let employed = total - joined_offset;
            prop_assert_eq!(got % 500 == 0 || got == allowance, true);
            prop_assert!(got <= allowance);
            prop_assert!(got as i128 * total as i128 >= allowance as i128 * employed as i128 || got == allowance);

            let monthly = Policy::new(LeaveAmount::from_millidays(allowance), Accrual::Monthly(AccrualDay::LastOfMonth), LeaveAmount::ZERO, 1).expect("policy");
            let always = Employment::new(range.start() - chrono::Duration::days(1), None).expect("employment");
            let accrued = entitlement_lines(&monthly, &always, start, 2026, range.end());
            prop_assert_eq!(accrued.iter().map(|l| l.amount.millidays()).sum::<i64>(), allowance);
            let mut keys: Vec<&str> = accrued.iter().map(|l| l.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            prop_assert_eq!(keys.len(), 12);
        }
    }
}
