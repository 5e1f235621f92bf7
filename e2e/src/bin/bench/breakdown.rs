//! Where the live viewer's wasm bytes go, by crate.
//!
//! The optimised files carry no names, so this reads the module cargo linked, splits it as the
//! build does (`wasm-split-cli`, into a temporary folder), and counts the functions of the files a
//! live viewer with chat loads — the core, the `stage` and `chat` parts and the chunks they share —
//! each to the crate its name starts with, with the data segments (strings, tables) apart. The
//! figures are before `wasm-opt`, so they are shares, not the sizes sent: generic code is counted
//! to the crate that defines it (a Leptos view's build closures to `tachys`), wherever the
//! instances come from.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use anyhow::Context;
use ivs_e2e::TempDir;
use wasmparser::{Name, Parser, Payload, TypeRef};

/// The parts a live viewer with chat fetches after the core (src/lazy.rs).
const LIVE_PARTS: [&str; 2] = ["stage", "chat"];

/// Prints the breakdown of the linked module at `linked`.
pub fn print(linked: &Path) -> anyhow::Result<()> {
    let dir = TempDir::new("ivs-bench-split")?;
    let split = Command::new("wasm-split-cli")
        .arg(linked)
        .arg(&dir.0)
        .args(["--target", "web", "--out-name", "core"])
        .output()
        .context("running wasm-split-cli (installed by scripts/setup.sh)")?;
    anyhow::ensure!(split.status.success(), "wasm-split-cli: {}", String::from_utf8_lossy(&split.stderr));
    let loader = std::fs::read_to_string(dir.0.join("__wasm_split.js"))?;
    let mut files = vec!["core.wasm".to_owned()];
    files.extend(LIVE_PARTS.iter().map(|part| format!("split_{part}.wasm")));
    files.extend(live_chunks(&loader));

    let mut by_crate: HashMap<String, usize> = HashMap::new();
    for file in &files {
        let bytes = std::fs::read(dir.0.join(file)).with_context(|| format!("{file} from wasm-split-cli"))?;
        count(&bytes, &mut by_crate).with_context(|| format!("reading {file}"))?;
    }
    let total: usize = by_crate.values().sum();
    let mut rows: Vec<(String, usize)> = by_crate.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!("  where the live viewer's wasm goes, by crate (code and data before wasm-opt, {} files):", files.len());
    let shown = 14;
    for (name, size) in rows.iter().take(shown) {
        println!("    {name:<28} {:>7.1} KB {:>5.1} %", *size as f64 / 1024.0, 100.0 * *size as f64 / total as f64);
    }
    let rest: usize = rows.iter().skip(shown).map(|(_, size)| size).sum();
    println!(
        "    {:<28} {:>7.1} KB {:>5.1} %",
        format!("{} others", rows.len().saturating_sub(shown)),
        rest as f64 / 1024.0,
        100.0 * rest as f64 / total as f64
    );
    Ok(())
}

/// The chunks the loader fetches for a live part: each chunk's fetch follows a comment naming the
/// parts that use it (`/* chat, stage */`).
fn live_chunks(loader: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut users = "";
    for line in loader.lines() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix("/*").and_then(|rest| rest.strip_suffix("*/")) {
            users = comment;
        } else if let Some(at) = line.find("./chunk_") {
            let name: String = line[at + 2..].chars().take_while(|&c| c != '"').collect();
            if users.split(',').any(|part| LIVE_PARTS.contains(&part.trim())) && !chunks.contains(&name) {
                chunks.push(name);
            }
        }
    }
    chunks
}

/// Adds each function's code size to its crate, and the data segments to "(data)".
fn count(module: &[u8], by_crate: &mut HashMap<String, usize>) -> anyhow::Result<()> {
    let mut imported = 0u32;
    let mut sizes = Vec::new();
    let mut names: HashMap<u32, String> = HashMap::new();
    for payload in Parser::new(0).parse_all(module) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    imported += u32::from(matches!(import?.ty, TypeRef::Func(_)));
                }
            }
            Payload::CodeSectionEntry(body) => sizes.push(body.range().len()),
            Payload::DataSection(reader) => {
                for data in reader {
                    *by_crate.entry("(data: strings, tables)".into()).or_default() += data?.data.len();
                }
            }
            Payload::CustomSection(section) => {
                if let wasmparser::KnownCustom::Name(reader) = section.as_known() {
                    for name in reader {
                        if let Ok(Name::Function(map)) = name {
                            for naming in map {
                                let naming = naming?;
                                names.insert(naming.index, naming.name.to_owned());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (local, size) in sizes.into_iter().enumerate() {
        let index = imported + local as u32;
        let name = names.get(&index).map_or("(unnamed)", String::as_str);
        *by_crate.entry(crate_of(name)).or_default() += size;
    }
    Ok(())
}

/// The crate a function's name starts with: `tachys::view::…` and `<tachys::… as …>::…` are
/// tachys's; a mangled `_ZN14reactive_graph…` is reactive_graph's; `core[hash]` is core's.
fn crate_of(name: &str) -> String {
    let name = name.trim_start_matches(['<', '&', '*', '(', ' ']);
    let name = name.strip_prefix("mut ").or_else(|| name.strip_prefix("dyn ")).unwrap_or(name);
    if let Some(mangled) = name.strip_prefix("_ZN") {
        let digits: String = mangled.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(len) = digits.parse::<usize>() {
            let first = mangled.get(digits.len()..digits.len() + len).unwrap_or_default();
            if first.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                return first.to_owned();
            }
        }
        return "(generic shims)".into();
    }
    let ident: String = name.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    match ident.as_str() {
        "" => "(unnamed)".into(),
        // Free-standing generic impls: `<T as …>`, `<F as …>`, closures' vtable shims.
        one if one.len() == 1 && one.chars().all(|c| c.is_ascii_uppercase()) => "(generic shims)".into(),
        "f64" | "f32" | "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" | "char" | "str" | "bool" => "core".into(),
        _ => ident,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_to_their_crates() {
        assert_eq!(crate_of("tachys::view::any_view::AnyView::build::h1"), "tachys");
        assert_eq!(crate_of("<reactive_graph::effect::Effect as core::ops::Drop>::drop"), "reactive_graph");
        assert_eq!(crate_of("_ZN14reactive_graph5owner10arena_item"), "reactive_graph");
        assert_eq!(crate_of("core[c5930c85a12de822]::fmt::write"), "core");
        assert_eq!(crate_of("<f64 as core::str::FromStr>::from_str"), "core");
        assert_eq!(crate_of("<T as tachys::view::any_view::IntoAny>::into_any"), "(generic shims)");
        assert_eq!(crate_of("<&mut serde_json::de::Deserializer<R>>::parse"), "serde_json");
    }

    #[test]
    fn the_live_parts_chunks_are_read_from_the_loader() {
        let loader = "/* chat, stage */\nconst __chunk_7 = makeLoad(() => {\n  const src = fetch(new URL(\"./chunk_7.wasm\", import.meta.url));\n/* embed, realtime */\nconst __chunk_8 = makeLoad(() => {\n  const src = fetch(new URL(\"./chunk_8.wasm\", import.meta.url));\n";
        assert_eq!(live_chunks(loader), ["chunk_7.wasm"]);
    }
}
