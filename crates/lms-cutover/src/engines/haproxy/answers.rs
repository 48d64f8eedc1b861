//! HAProxy's runtime API answers, read into plain values: the error lines
//! of `set server … weight`, the rows of `show servers state <backend>`
//! and the per-server counters of `show stat`.
//!
//! Columns are found by the names in each answer's header line, never by
//! position, so columns HAProxy adds in later versions do not matter; a
//! missing column, an unknown format version or a value that is not a
//! number is an error that names it. No IO and no runbook rules here.

use std::collections::HashMap;

/// The format of `show servers state` this module reads (HAProxy 1.6+).
const SERVERS_STATE_VERSION: &str = "1";

/// `srv_op_state` of a running server (`SRV_ST_RUNNING`).
const OP_RUNNING: u8 = 2;

/// One server of `show servers state <backend>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRow {
    /// `srv_name`.
    pub name: String,
    /// `srv_addr:srv_port`.
    pub address: String,
    /// `srv_uweight`: the weight in force (set by `set server … weight`).
    pub weight: u16,
    /// `srv_op_state` is RUNNING.
    pub running: bool,
}

/// Cumulative counters of one server in `show stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// `req_tot` (HTTP requests), or `stot` (sessions) where HAProxy leaves
    /// `req_tot` empty (TCP mode).
    pub requests: u64,
    /// `hrsp_5xx`: answers with a 5xx status.
    pub errors: u64,
    /// `econ + eresp`: requests that got no answer from the server
    /// (connection failed, or the response was aborted or invalid).
    pub failed: u64,
}

/// The error lines of the answer to one or more `;`-separated commands
/// that answer nothing when they succeed (`set server … weight`). HAProxy
/// ends every answer with an empty line, so any text is an error.
pub fn command_errors(answer: &str) -> Vec<String> {
    answer.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// The rows of `show servers state <backend>`.
pub fn servers_state(answer: &str, backend: &str) -> Result<Vec<ServerRow>, String> {
    let mut lines = answer.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(version) = lines.next() else {
        return Err(format!("`show servers state {backend}` answered nothing"));
    };
    if version != SERVERS_STATE_VERSION {
        // HAProxy answers errors ("Can't find backend.") in place of the version.
        if version.parse::<u32>().is_err() {
            return Err(format!("`show servers state {backend}`: {version}"));
        }
        return Err(format!(
            "`show servers state {backend}` answers format version {version}; this driver reads version {SERVERS_STATE_VERSION}"
        ));
    }
    let header = lines
        .next()
        .and_then(|l| l.strip_prefix('#'))
        .ok_or_else(|| format!("`show servers state {backend}`: no `# be_id be_name …` header after the version"))?;
    let names: Vec<&str> = header.split_whitespace().collect();
    let col = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| format!("`show servers state {backend}`: the header has no `{name}` column"))
    };
    let (be, srv, addr, port, op, weight) = (
        col("be_name")?,
        col("srv_name")?,
        col("srv_addr")?,
        col("srv_port")?,
        col("srv_op_state")?,
        col("srv_uweight")?,
    );
    let mut rows = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let field = |i: usize, name: &str| {
            fields
                .get(i)
                .copied()
                .ok_or_else(|| format!("`show servers state {backend}`: a row has no `{name}` value: {line:?}"))
        };
        if field(be, "be_name")? != backend {
            continue;
        }
        let name = field(srv, "srv_name")?.to_string();
        let number = |i: usize, col: &str| -> Result<u16, String> {
            let text = field(i, col)?;
            text.parse()
                .map_err(|_| format!("`show servers state {backend}`: server {name}'s {col} {text:?} is not a number"))
        };
        let weight = number(weight, "srv_uweight")?;
        let op_state = number(op, "srv_op_state")?;
        rows.push(ServerRow {
            address: format!("{}:{}", field(addr, "srv_addr")?, field(port, "srv_port")?),
            weight,
            running: op_state == u16::from(OP_RUNNING),
            name,
        });
    }
    Ok(rows)
}

/// The counters of `servers` of `backend` in the `show stat` CSV.
pub fn stat_counters(csv: &str, backend: &str, servers: &[&str]) -> Result<Vec<Counters>, String> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .ok_or_else(|| format!("`show stat`: no `# pxname,svname,…` header: {:?}", csv.lines().next().unwrap_or("")))?;
    let names: HashMap<&str, usize> = header.split(',').enumerate().map(|(i, n)| (n, i)).collect();
    let col =
        |name: &str| names.get(name).copied().ok_or_else(|| format!("`show stat`: the header has no `{name}` column"));
    let (px, sv) = (col("pxname")?, col("svname")?);
    let (stot, req_tot, h5xx, econ, eresp) =
        (col("stot")?, col("req_tot")?, col("hrsp_5xx")?, col("econ")?, col("eresp")?);
    let mut found: Vec<Option<Counters>> = vec![None; servers.len()];
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.get(px) != Some(&backend) {
            continue;
        }
        let Some(slot) = fields.get(sv).and_then(|s| servers.iter().position(|w| w == s)) else { continue };
        let server = servers[slot];
        let number = |i: usize, name: &str| -> Result<Option<u64>, String> {
            match fields.get(i).copied().unwrap_or("") {
                "" => Ok(None),
                t => t
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("`show stat`: {backend}/{server}'s {name} {t:?} is not a number")),
            }
        };
        let requests = match number(req_tot, "req_tot")? {
            Some(r) => r,
            None => number(stot, "stot")?.unwrap_or(0),
        };
        found[slot] = Some(Counters {
            requests,
            errors: number(h5xx, "hrsp_5xx")?.unwrap_or(0),
            failed: number(econ, "econ")?.unwrap_or(0) + number(eresp, "eresp")?.unwrap_or(0),
        });
    }
    servers
        .iter()
        .zip(found)
        .map(|(s, c)| c.ok_or_else(|| format!("`show stat` has no row for server {backend}/{s}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord\n3 lms 1 blue 127.0.0.1 2 0 10 100 0 1 0 2 0 0 0 0 - 28481 -\n3 lms 2 green 127.0.0.1 0 0 90 0 0 1 0 2 0 0 0 0 - 28482 -\n\n";

    #[test]
    fn servers_state_reads_rows_by_header_names() {
        let rows = servers_state(STATE, "lms").unwrap();
        assert_eq!(
            rows,
            vec![
                ServerRow { name: "blue".into(), address: "127.0.0.1:28481".into(), weight: 10, running: true },
                ServerRow { name: "green".into(), address: "127.0.0.1:28482".into(), weight: 90, running: false },
            ]
        );
    }

    #[test]
    fn servers_state_names_what_is_unexpected() {
        assert_eq!(
            servers_state("Can't find backend.\n\n", "x").unwrap_err(),
            "`show servers state x`: Can't find backend."
        );
        assert!(servers_state("2\n# be_name\n", "lms").unwrap_err().contains("format version 2"));
        assert!(servers_state("1\n# be_name srv_name\n", "lms").unwrap_err().contains("`srv_addr`"));
        let bad = STATE.replace(" 2 0 10 100", " 2 0 ten 100");
        assert!(servers_state(&bad, "lms").unwrap_err().contains("server blue's srv_uweight \"ten\""));
        assert!(servers_state("", "lms").unwrap_err().contains("answered nothing"));
    }

    #[test]
    fn command_errors_are_the_non_empty_lines() {
        assert!(command_errors("\n\n").is_empty());
        assert_eq!(command_errors("\nNo such server.\n\n\n"), vec!["No such server.".to_string()]);
    }

    #[test]
    fn stat_counters_prefer_req_tot_and_add_connection_and_response_errors() {
        let csv = "# pxname,svname,stot,econ,eresp,hrsp_5xx,req_tot,\nfe,FRONTEND,9,,,0,9,\nlms,blue,7,1,2,3,6,\nlms,green,4,,,0,,\nother,blue,100,0,0,0,100,\n";
        let c = stat_counters(csv, "lms", &["blue", "green"]).unwrap();
        assert_eq!(c[0], Counters { requests: 6, errors: 3, failed: 3 });
        assert_eq!(c[1], Counters { requests: 4, errors: 0, failed: 0 });
        assert!(stat_counters(csv, "lms", &["nope"]).unwrap_err().contains("lms/nope"));
        assert!(stat_counters("# pxname,svname\n", "lms", &["blue"]).unwrap_err().contains("`stot`"));
        assert!(stat_counters("Permission denied\n", "lms", &["blue"]).unwrap_err().contains("Permission denied"));
    }
}
