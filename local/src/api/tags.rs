//! `TagResource`, `UntagResource`, `ListTagsForResource` (REST paths under `/tags/{arn}`) on
//! every taggable resource: channels, stream keys, recording configurations and stages.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::kit::{parse, Answer, ApiError};
use crate::state::AppState;

pub async fn list(State(state): State<AppState>, Path(arn): Path<String>) -> Answer {
    let tags = state
        .channels
        .tags(&arn)
        .or_else(|| state.recording_configs().tags(&arn))
        .or_else(|| state.stages.tags(&arn))
        .ok_or_else(|| ApiError::not_found(&arn))?;
    Ok(Json(json!({ "tags": tags })))
}

#[derive(Deserialize)]
struct TagInput {
    tags: BTreeMap<String, String>,
}

pub async fn tag(State(state): State<AppState>, Path(arn): Path<String>, body: Bytes) -> Answer {
    let input: TagInput = parse(&body)?;
    if input.tags.keys().any(|k| k.is_empty() || k.len() > 128 || k.starts_with("aws:")) || input.tags.values().any(|v| v.len() > 256) {
        return Err(ApiError::validation("tag keys are 1 to 128 characters (not aws:…), values at most 256"));
    }
    change_tags(&state, &arn, |tags| tags.extend(input.tags.clone()))
}

/// Changes the tags of whichever taggable resource `arn` names: a channel or stream key, or a
/// recording configuration.
fn change_tags(state: &AppState, arn: &str, change: impl Fn(&mut BTreeMap<String, String>) + Copy) -> Answer {
    state
        .channels
        .update_tags(arn, change)
        .or_else(|| state.recording_configs().update_tags(arn, change))
        .or_else(|| state.stages.update_tags(arn, change))
        .ok_or_else(|| ApiError::not_found(arn))??;
    Ok(Json(json!({})))
}

/// `tagKeys` from a query string (`tagKeys=a&tagKeys=b`), percent-decoded.
fn tag_keys(query: &str) -> Vec<String> {
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                },
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query.split('&').filter_map(|pair| pair.split_once('=')).filter(|(k, _)| *k == "tagKeys").map(|(_, v)| decode(v)).collect()
}

pub async fn untag(State(state): State<AppState>, Path(arn): Path<String>, RawQuery(query): RawQuery) -> Answer {
    let keys = tag_keys(query.as_deref().unwrap_or_default());
    if keys.is_empty() {
        return Err(ApiError::validation("name at least one tagKeys"));
    }
    change_tags(&state, &arn, |tags| tags.retain(|k, _| !keys.contains(k)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_keys_are_read_from_the_query() {
        assert_eq!(super::tag_keys("tagKeys=team&tagKeys=cost%20centre&other=x"), ["team", "cost centre"]);
        assert_eq!(super::tag_keys("tagKeys=100%"), ["100%"]);
        assert!(super::tag_keys("").is_empty());
    }
}
