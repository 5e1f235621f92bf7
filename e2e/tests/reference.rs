//! docs/reference.md is checked against the code, so it cannot go stale: every key of the site
//! server's configuration (its default and environment variable), every flag of `ivs-local serve`
//! (the table is generated from the command line's own help), every key of the viewer's
//! configuration, and every route of the site server. `IVS_WRITE_REFERENCE=1` rewrites the
//! generated table in place.

use std::collections::{BTreeMap, BTreeSet};

use ivs_e2e::root;

fn reference() -> String {
    std::fs::read_to_string(root().join("docs/reference.md")).expect("docs/reference.md")
}

/// The rows of the first table under the heading `heading` (cells trimmed, header and rule left
/// out), and the byte range the table spans.
fn table(doc: &str, heading: &str) -> (Vec<Vec<String>>, std::ops::Range<usize>) {
    let at = doc.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("docs/reference.md has no heading {heading:?}"));
    let start = at + doc[at..].find("\n|").expect("a table under the heading") + 1;
    let end = doc[start..].find("\n\n").map_or(doc.len(), |e| start + e + 1);
    let rows = doc[start..end].lines().skip(2).map(|line| line.trim().trim_matches('|').split(" | ").map(|c| c.trim().to_owned()).collect()).collect();
    (rows, start..end)
}

/// The text in backticks at the start of a cell.
fn code(cell: &str) -> &str {
    cell.strip_prefix('`').and_then(|c| c.split('`').next()).unwrap_or(cell)
}

mod site_server {
    use super::*;
    use ivs_site::config::{Config, ENV_OVERRIDES, MINIMAL};

    fn with(key: &str, value: toml::Value) -> toml::Table {
        let mut table: toml::Table = MINIMAL.parse().unwrap();
        let mut at = &mut table;
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().unwrap();
        for part in parts {
            at = at.entry(part).or_insert_with(|| toml::Value::Table(toml::Table::new())).as_table_mut().unwrap();
        }
        at.insert(last.to_owned(), value);
        table
    }

    /// `b`'s entries laid over `a`'s, table by table.
    fn merge(mut a: toml::Table, b: toml::Table) -> toml::Table {
        for (k, v) in b {
            match (a.remove(&k), v) {
                (Some(toml::Value::Table(x)), toml::Value::Table(y)) => a.insert(k, toml::Value::Table(merge(x, y))),
                (_, v) => a.insert(k, v),
            };
        }
        a
    }

    /// The keys the configuration takes under `path`, as its parser names them when it meets
    /// one it does not know; `None` when `path` is not a table.
    fn fields_at(path: &str) -> Option<Vec<String>> {
        let probe = toml::Value::Table(toml::Table::from_iter([("__probe".to_owned(), toml::Value::Integer(1))]));
        let table = if path.is_empty() {
            let mut t: toml::Table = MINIMAL.parse().unwrap();
            t.insert("__probe".into(), toml::Value::Integer(1));
            t
        } else {
            with(path, probe)
        };
        let error = Config::parse(&table.to_string(), |_| None).err()?;
        let expected = error.split("unknown field `__probe`, expected ").nth(1)?;
        Some(expected.split('`').skip(1).step_by(2).map(str::to_owned).collect())
    }

    fn every_key(path: &str, keys: &mut Vec<String>) {
        for field in fields_at(path).unwrap_or_default() {
            let key = if path.is_empty() { field } else { format!("{path}.{field}") };
            match fields_at(&key) {
                Some(_) => every_key(&key, keys),
                None => keys.push(key),
            }
        }
    }

    #[test]
    fn every_key_is_named_with_its_default_and_variable() {
        let mut keys = Vec::new();
        every_key("", &mut keys);
        assert!(keys.len() > 40 && keys.contains(&"votes.redis_ca_file".to_owned()), "{keys:?}");
        let doc = reference();
        let (rows, _) = table(&doc, "## Site server configuration (`ivs-site.toml`)");
        let documented: BTreeMap<String, &Vec<String>> = rows.iter().map(|r| (code(&r[0]).to_owned(), r)).collect();
        let code_keys: BTreeSet<&String> = keys.iter().collect();
        let doc_keys: BTreeSet<&String> = documented.keys().collect();
        assert_eq!(doc_keys, code_keys, "docs/reference.md's keys (left) differ from the configuration's (right)");

        let env: BTreeMap<&str, &str> = ENV_OVERRIDES.iter().map(|(var, key)| (*key, *var)).collect();
        for (key, row) in &documented {
            // A table's keys are read beside what the table cannot be without.
            let context: &[(&str, &str)] = match key.split('.').take(2).collect::<Vec<_>>()[..] {
                ["identity", "jwt"] => &[("identity.jwt.hs256_secret", "0123456789abcdef0123456789abcdef")],
                ["stage", _] => &[("stage.arn", "arn:aws:ivs:us-west-2:123456789012:stage/abcd")],
                _ => &[],
            };
            let base = |extra: Option<(&str, toml::Value)>| {
                let mut table: toml::Table = MINIMAL.parse().unwrap();
                for (k, v) in context.iter().map(|(k, v)| (*k, toml::Value::String((*v).to_owned()))).chain(extra) {
                    table = merge(table, with(k, v));
                }
                table.to_string()
            };
            let plain = format!("{:?}", Config::parse(&base(None), |_| None).unwrap());
            let var = code(&row[2]);
            assert_eq!(env.get(key.as_str()).copied().unwrap_or("—"), var, "{key}: its environment variable");
            let default = code(&row[1]);
            if default == "required" || default == "—" {
                continue;
            }
            let value: toml::Value = format!("v = {default}").parse::<toml::Table>().unwrap_or_else(|e| panic!("{key}: default {default:?}: {e}"))["v"].clone();
            let explicit = Config::parse(&base(Some((key, value))), |_| None).unwrap_or_else(|e| panic!("{key} = {default}: {e}"));
            assert_eq!(format!("{explicit:?}"), plain, "{key}: the documented default {default} is not what the server assumes");
        }
    }

    #[test]
    fn every_route_is_named() {
        let source = std::fs::read_to_string(root().join("server/src/http/mod.rs")).unwrap();
        let mut in_code = BTreeSet::new();
        for call in source.split(".route(\"").skip(1) {
            let (path, rest) = call.split_once('"').unwrap();
            let handlers = &rest[..rest.find(")\n").unwrap_or(rest.len())];
            for method in ["get", "post", "put", "delete"] {
                if handlers.contains(&format!("{method}(")) {
                    in_code.insert((method.to_uppercase(), path.to_owned()));
                }
            }
        }
        assert!(in_code.len() > 20, "{in_code:?}");
        let doc = reference();
        let (rows, _) = table(&doc, "## Site server routes");
        let documented: BTreeSet<(String, String)> = rows.iter().map(|r| (r[0].clone(), code(&r[1]).to_owned())).collect();
        assert_eq!(documented, in_code, "docs/reference.md's routes (left) differ from server/src/http/mod.rs's (right)");
    }
}

mod local_ivs {
    use super::*;
    use clap::{Args, Command};

    /// The table of `ivs-local serve`'s flags, from its own help.
    fn generated() -> String {
        let command = ivs_local::serve::ServeArgs::augment_args(Command::new("serve"));
        let mut out = String::from("| flag | default | what |\n| --- | --- | --- |\n");
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let value = arg.get_value_names().map(|v| format!(" {}", v.join(" "))).unwrap_or_default();
            let flag = if arg.get_num_args().is_some_and(|n| n.max_values() == 0) || matches!(arg.get_action(), clap::ArgAction::SetTrue) {
                format!("`--{long}`")
            } else {
                format!("`--{long}{value}`")
            };
            let defaults: Vec<String> = arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
            let default = if matches!(arg.get_action(), clap::ArgAction::SetTrue) || defaults.is_empty() {
                "—".to_owned()
            } else {
                format!("`{}`", defaults.join(" "))
            };
            let help = arg.get_long_help().or(arg.get_help()).map(|h| h.to_string()).unwrap_or_default().replace('\n', " ").replace('|', "\\|");
            out.push_str(&format!("| {flag} | {default} | {help} |\n"));
        }
        out
    }

    #[test]
    fn every_flag_is_named_as_the_command_line_says() {
        let doc = reference();
        let (_, span) = table(&doc, "## Local IVS flags (`ivs-local serve`)");
        let expected = generated();
        if std::env::var_os("IVS_WRITE_REFERENCE").is_some() {
            std::fs::write(root().join("docs/reference.md"), format!("{}{expected}{}", &doc[..span.start], &doc[span.end..])).unwrap();
            return;
        }
        assert_eq!(&doc[span], expected, "docs/reference.md's flags are stale: IVS_WRITE_REFERENCE=1 cargo test -p ivs-e2e --test reference rewrites them");
    }
}

mod viewer {
    use super::*;
    use ivs_proto::config::ViewerConfig;

    const MINIMAL: &str = r#"{"playbackUrl":"https://example.com/live.m3u8"}"#;

    #[test]
    fn every_key_is_named_with_its_default() {
        let error = ViewerConfig::from_json(r#"{"playbackUrl":"https://example.com/live.m3u8","__probe":1}"#).unwrap_err().to_string();
        let expected = error.split("unknown field `__probe`, expected one of ").nth(1).unwrap_or_else(|| panic!("{error}"));
        let in_code: BTreeSet<String> = expected.split('`').skip(1).step_by(2).map(str::to_owned).collect();
        let doc = reference();
        let (rows, _) = table(&doc, "## Viewer configuration (`config.json`)");
        let documented: BTreeSet<String> = rows.iter().map(|r| code(&r[0]).to_owned()).collect();
        assert_eq!(documented, in_code, "docs/reference.md's viewer keys (left) differ from the viewer's (right)");
        let plain = ViewerConfig::from_json(MINIMAL).unwrap();
        for row in &rows {
            let (key, default) = (code(&row[0]), code(&row[1]));
            if default == "required" || default == "—" {
                continue;
            }
            let json = format!(r#"{{"playbackUrl":"https://example.com/live.m3u8","{key}":{default}}}"#);
            let explicit = ViewerConfig::from_json(&json).unwrap_or_else(|e| panic!("{key}: {default}: {e}"));
            assert_eq!(explicit, plain, "{key}: the documented default {default} is not what the viewer assumes");
        }
    }
}
