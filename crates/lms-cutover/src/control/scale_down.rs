//! Scaling blue down after go-live, when the plan asks for it: only a run
//! that went live, only with `[kubernetes.blue] keep_warm`, and only once
//! that time has passed since go-live. Recorded in the journal and the
//! report like `stop-green`.
//!
//! Knows the run directory and the journal's verdict, not how a slot is
//! scaled (the deploy driver does it).

use chrono::{DateTime, Utc};

use crate::engine::{Event, Verdict};
use crate::error::{CutoverError, Result};
use crate::runner::context::{local_drivers, try_lock, Resolved, RunDir, RunInfo};
use crate::units::Slot;

/// Scales blue to zero at `now` if the run went live at least its
/// `keep_warm` ago; refused otherwise (nothing changed). Returns what the
/// deploy driver reported.
pub async fn scale_down_blue(dir: &RunDir, now: DateTime<Utc>) -> Result<String> {
    let refuse = |m: String| CutoverError::invalid("scale-down-blue", m);
    let Some(_lock) = try_lock(dir)? else {
        return Err(refuse("a controller runs this run: scale blue down after it has ended".into()));
    };
    let (mut journal, contents) = crate::journal::Journal::open(dir.journal())?;
    let went_live = contents.records.iter().find_map(|r| match &r.event {
        Event::RunCompleted { verdict: Verdict::GoLive } => Some(r.at),
        _ => None,
    });
    let Some(went_live) = went_live else {
        return Err(refuse("the run did not go live: blue is what serves after a rollback".into()));
    };
    let plan = crate::plan::load(dir.plan())?;
    let keep_warm = plan.kubernetes.as_ref().and_then(|k| k.blue.as_ref()).and_then(|b| b.keep_warm);
    let Some(keep_warm) = keep_warm else {
        return Err(refuse(
            "the plan does not ask for blue to be scaled down: [kubernetes.blue] has no keep_warm".into(),
        ));
    };
    let from = went_live + keep_warm.delta();
    if now < from {
        return Err(refuse(format!(
            "blue is kept warm {keep_warm} after go-live ({}): not before {}",
            went_live.format("%Y-%m-%d %H:%M:%S UTC"),
            from.format("%Y-%m-%d %H:%M:%S UTC")
        )));
    }
    let info = RunInfo::load(dir)?;
    let resolved = Resolved::new(&plan, &info)?;
    let drivers = local_drivers(&plan, &resolved, dir, info.demo_accounts)?;
    let outcome = match drivers.deploy.stop(Slot::Blue).await {
        Ok(s) => crate::observe::Outcome::ok(s.detail),
        Err(e) => crate::observe::Outcome::failed(e.to_string()),
    };
    journal.append(now, Event::BlueScaledDown { outcome: outcome.clone() })?;
    drop(journal);
    crate::report::write(dir)?;
    if outcome.ok {
        Ok(outcome.detail)
    } else {
        Err(refuse(outcome.detail))
    }
}
