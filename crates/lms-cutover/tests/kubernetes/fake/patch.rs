//! The two patch types the fake applies, as their RFCs say: JSON merge
//! patch (RFC 7386) and JSON patch (RFC 6902: add, replace, remove, test),
//! with the API server's status codes for a patch that does not apply.

use axum::http::StatusCode;
use serde_json::{json, Value};

/// RFC 7386.
pub fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// RFC 6902: add, replace, remove, test.
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), (StatusCode, String)> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let ops = ops.as_array().ok_or_else(|| bad("a JSON patch is an array of operations".into()))?;
    for op in ops {
        let path = op["path"].as_str().ok_or_else(|| bad("an operation needs a path".into()))?;
        let (parent, last) = path.rsplit_once('/').ok_or_else(|| bad(format!("bad path {path:?}")))?;
        let last = last.replace("~1", "/").replace("~0", "~");
        match op["op"].as_str() {
            Some("test") => {
                if doc.pointer(path) != Some(&op["value"]) {
                    return Err((
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("testing value {path} failed: test failed"),
                    ));
                }
            }
            Some(kind @ ("add" | "replace" | "remove")) => {
                let missing = || {
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("{kind} operation does not apply: doc is missing path: {path:?}"),
                    )
                };
                let target = doc.pointer_mut(parent).ok_or_else(missing)?;
                match target {
                    Value::Object(m) => {
                        if kind != "add" && !m.contains_key(&last) {
                            return Err(missing());
                        }
                        if kind == "remove" {
                            m.remove(&last);
                        } else {
                            m.insert(last, op["value"].clone());
                        }
                    }
                    Value::Array(a) => {
                        let i: usize = if last == "-" { a.len() } else { last.parse().map_err(|_| missing())? };
                        match kind {
                            "add" if i <= a.len() => a.insert(i, op["value"].clone()),
                            "replace" if i < a.len() => a[i] = op["value"].clone(),
                            "remove" if i < a.len() => {
                                a.remove(i);
                            }
                            _ => return Err(missing()),
                        }
                    }
                    _ => return Err(missing()),
                }
            }
            other => return Err(bad(format!("unknown operation {other:?}"))),
        }
    }
    Ok(())
}
