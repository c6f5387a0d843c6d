//! `--set path=value` and timeline `Set` events: change one field of a scenario by its path.

use super::{MAX_OVERRIDE_VALUE_BYTES, Scenario};
use serde_json::Value;

/// Splits `path=value`.
pub fn parse_assignment(assignment: &str) -> Result<(String, String), String> {
    match assignment.split_once('=') {
        Some((path, value)) if !path.trim().is_empty() => {
            Ok((path.trim().to_string(), value.trim().to_string()))
        }
        _ => Err("expected PATH=VALUE, for example recommender.following_share=0.3".into()),
    }
}

/// Sets the field at `path` (dots between fields, `[i]` or `.i` for list items) to `value`.
///
/// `value` is read as JSON when it parses (numbers, `true`, `"text"`, objects such as
/// `{"Normal":{"mean":0.5,"sd":0.1}}`), otherwise as a bare word (`follower_feed`, `niche_expert`).
/// The scenario is left unchanged on error.
pub fn apply_override(scenario: &mut Scenario, path: &str, value: &str) -> Result<(), String> {
    // serde_json reads in linear time with a nesting limit of 128, so a cap on length is all it
    // takes to keep a hostile value cheap; no real value comes near it.
    if value.len() > MAX_OVERRIDE_VALUE_BYTES {
        return Err(format!(
            "{path}: the value is {} bytes, over the limit of {MAX_OVERRIDE_VALUE_BYTES} bytes (64 KiB)",
            value.len()
        ));
    }
    let mut tree = serde_json::to_value(&*scenario).map_err(|e| e.to_string())?;
    let node = field_at(&mut tree, path)?;
    *node = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    let updated: Scenario = serde_path_to_error::deserialize(tree)
        .map_err(|e| format!("{path}: {}", e.into_inner()))?;
    *scenario = updated;
    Ok(())
}

/// Checks that `path` names a field of the scenario, without changing anything: a sweep calls it
/// before running anything, so a misspelt path stops the sweep while a bad value only fails the
/// runs that use it.
pub fn check_path(scenario: &Scenario, path: &str) -> Result<(), String> {
    let mut tree = serde_json::to_value(scenario).map_err(|e| e.to_string())?;
    field_at(&mut tree, path).map(|_| ())
}

/// The node at `path` in a scenario's JSON tree, or an error that names the first unknown part.
fn field_at<'a>(tree: &'a mut Value, path: &str) -> Result<&'a mut Value, String> {
    let segments = split_path(path)?;
    let mut node = tree;
    let mut walked = String::new();
    for segment in &segments {
        let here = if walked.is_empty() {
            "the scenario".to_string()
        } else {
            format!("`{walked}`")
        };
        node = match node {
            Value::Object(map) => {
                let known: Vec<String> = map.keys().cloned().collect();
                match map.get_mut(segment.as_str()) {
                    Some(child) => child,
                    None => {
                        return Err(format!(
                            "unknown field `{segment}` in {here}, expected one of: {}",
                            known.join(", ")
                        ));
                    }
                }
            }
            Value::Array(items) => {
                let len = items.len();
                let index: usize = segment.parse().map_err(|_| {
                    format!("{here} is a list, expected an index 0..{len}, got `{segment}`")
                })?;
                items.get_mut(index).ok_or_else(|| {
                    format!("index {index} is out of range for {here}, which has {len} item(s)")
                })?
            }
            _ => {
                return Err(format!(
                    "{here} has no field `{segment}`: it is a single value"
                ));
            }
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(segment);
    }
    Ok(node)
}

fn split_path(path: &str) -> Result<Vec<String>, String> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        let name_end = rest.find('[').unwrap_or(rest.len());
        if name_end > 0 {
            segments.push(rest[..name_end].to_string());
        }
        rest = &rest[name_end..];
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped
                .find(']')
                .ok_or_else(|| format!("`{path}`: missing `]`"))?;
            segments.push(stripped[..close].to_string());
            rest = &stripped[close + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("`{path}`: unexpected `{rest}`"));
        }
    }
    if segments.is_empty() || segments.iter().any(|s| s.is_empty()) {
        return Err(format!(
            "`{path}` is not a field path, expected for example recommender.following_share"
        ));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Dist, PolicyKind};

    #[test]
    fn sets_nested_numbers_words_and_list_items() {
        let mut s = Scenario::default();
        apply_override(&mut s, "recommender.following_share", "0.3").unwrap();
        assert_eq!(s.recommender.following_share, 0.3);
        apply_override(&mut s, "recommender.policy", "popularity").unwrap();
        assert_eq!(s.recommender.policy, PolicyKind::Popularity);
        apply_override(&mut s, "creators[1].count", "7").unwrap();
        assert_eq!(s.creators[1].count, 7);
        apply_override(&mut s, "creators.0.skill", r#"{"Fixed":0.9}"#).unwrap();
        assert_eq!(s.creators[0].skill, Dist::Fixed(0.9));
    }

    #[test]
    fn unknown_fields_and_bad_types_are_named_and_leave_the_scenario_alone() {
        let mut s = Scenario::default();
        let before = s.clone();
        let err = apply_override(&mut s, "recommender.folowing_share", "0.3").unwrap_err();
        assert!(
            err.contains("unknown field `folowing_share` in `recommender`"),
            "{err}"
        );
        assert!(err.contains("following_share"), "{err}");
        let err = apply_override(&mut s, "recommender.following_share", "lots").unwrap_err();
        assert!(err.contains("recommender.following_share"), "{err}");
        let err = apply_override(&mut s, "creators[99].count", "1").unwrap_err();
        assert!(err.contains("out of range"), "{err}");
        assert_eq!(s, before);
    }
}
