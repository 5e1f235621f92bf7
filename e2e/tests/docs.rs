//! docs/quickstart.md, run as written against a local IVS: its shell commands marked `run`, its
//! JavaScript (AWS SDK v3, the official chat client), Python (boto3) and Rust programs, and its CI
//! script — so a command in the docs that fails fails the suite.

use std::path::Path;
use std::process::{Command, Output};

use ivs_e2e::{binary, free_port, root, Stack};

/// A fenced block of the quick start: its info string and its text.
struct Block {
    info: String,
    text: String,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let Some(info) = trimmed.strip_prefix("```") else { continue };
        let indent = line.len() - trimmed.len();
        let mut text = String::new();
        for body in lines.by_ref() {
            if body.trim_start().starts_with("```") {
                break;
            }
            text.push_str(body.get(indent..).unwrap_or(body.trim_start()));
            text.push('\n');
        }
        out.push(Block { info: info.trim().to_owned(), text });
    }
    out
}

fn file<'a>(blocks: &'a [Block], name: &str) -> &'a str {
    let tag = format!("file={name}");
    &blocks.iter().find(|b| b.info.split_whitespace().any(|w| w == tag)).unwrap_or_else(|| panic!("docs/quickstart.md has no block {tag}")).text
}

fn ok(output: Output, what: &str) -> String {
    let said = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{what} failed ({}): {said}", output.status);
    said
}

/// Node before 22 has its WebSocket behind a flag (the chat client needs it).
fn node_websocket_flag() -> Option<&'static str> {
    let version = Command::new("node").arg("--version").output().ok()?;
    let major: u32 = String::from_utf8_lossy(&version.stdout).trim().trim_start_matches('v').split('.').next()?.parse().ok()?;
    (major < 22).then_some("--experimental-websocket")
}

// The quick start's Rust program is this, word for word (checked below).
// doc:rust
/// Your app's test, against the local IVS, with the AWS SDK for Rust.
async fn a_channel_on_the_local_ivs(endpoint: &str) -> anyhow::Result<()> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint) // the local IVS's API
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ivs::config::Credentials::new("local", "local", None, None, "local"))
        .load()
        .await;
    let ivs = aws_sdk_ivs::Client::new(&config);
    let created = ivs.create_channel().name("my-show").send().await?;
    let key = created.stream_key().and_then(|k| k.value()).unwrap_or_default();
    assert!(key.starts_with("sk_us-east-1_"));
    let arn = created.channel().and_then(|c| c.arn()).unwrap_or_default();
    let offline = ivs.get_stream().channel_arn(arn).send().await.unwrap_err();
    assert!(offline.into_service_error().is_channel_not_broadcasting());
    ivs.delete_channel().arn(arn).send().await?;
    Ok(())
}
// doc:end

#[tokio::test(flavor = "multi_thread")]
async fn the_quick_starts_work_as_written() -> anyhow::Result<()> {
    let doc = std::fs::read_to_string(root().join("docs/quickstart.md"))?;
    let blocks = blocks(&doc);
    let stack = Stack::builder().offline().start()?;
    // Beside node_modules, so the examples' imports resolve as in a project that installed them.
    let work = root().join(format!("target/docs-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    for name in ["channel.test.mjs", "chat.mjs", "test_ivs.py", "ci.sh"] {
        std::fs::write(work.join(name), file(&blocks, name))?;
    }
    let venv = root().join(".venv/bin");
    let path = format!("{}:{}", venv.display(), std::env::var("PATH").unwrap_or_default());
    let env = |command: &mut Command| {
        command
            .current_dir(&work)
            .env("PATH", &path)
            .env("IVS_ENDPOINT", &stack.api)
            .env("IVS_CHAT_URL", &stack.chat)
            .env("AWS_ENDPOINT_URL", &stack.api)
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("NODE_NO_WARNINGS", "1")
            .env_remove("AWS_PROFILE");
    };

    // The deploy quick start's commands (the AWS CLI, pointed here by AWS_ENDPOINT_URL).
    let run: Vec<&Block> = blocks.iter().filter(|b| b.info == "sh run").collect();
    assert!(!run.is_empty());
    for block in run {
        for line in block.text.lines().filter(|l| !l.trim().is_empty()) {
            let mut command = Command::new("bash");
            command.args(["-c", line]);
            env(&mut command);
            let said = ok(command.output()?, line);
            assert!(said.contains("\"arn\": \"arn:aws:ivs"), "{line}: {said}");
        }
    }

    // JavaScript: the AWS SDK v3, and the official chat client.
    let mut node = Command::new("node");
    env(&mut node);
    assert!(ok(node.arg("channel.test.mjs").output()?, "node channel.test.mjs").contains("js v3: ok"));
    let mut node = Command::new("node");
    env(&mut node);
    node.args(node_websocket_flag()).arg("chat.mjs");
    assert!(ok(node.output()?, "node chat.mjs").contains("chat sdk: ok"));

    // Python: boto3.
    let mut python = Command::new(venv.join("python"));
    env(&mut python);
    assert!(ok(python.arg("test_ivs.py").output()?, "python test_ivs.py").contains("boto3: ok"));

    // Rust: the program on the page is this file's, and it passes.
    let source = include_str!("docs.rs");
    let ours = source.split("// doc:rust\n").nth(1).and_then(|s| s.split("// doc:end").next()).unwrap_or_default();
    assert_eq!(file(&blocks, "quickstart.rs"), ours, "docs/quickstart.md's Rust example differs from e2e/tests/docs.rs's");
    a_channel_on_the_local_ivs(&stack.api).await?;

    // The CI recipe: its own local IVS on ports of its own, the JavaScript test against it.
    let mut ci = Command::new("bash");
    env(&mut ci);
    ci.arg("ci.sh")
        .env("IVS_LOCAL", binary("ivs-local", "IVS_LOCAL_BIN"))
        .env("IVS_API", format!("127.0.0.1:{}", free_port()))
        .env("IVS_PLAYBACK", format!("127.0.0.1:{}", free_port()))
        .env("IVS_CHAT", format!("127.0.0.1:{}", free_port()))
        .env("IVS_INGEST", format!("127.0.0.1:{}", free_port()))
        .env_remove("IVS_ENDPOINT")
        .env_remove("IVS_CHAT_URL");
    assert!(ok(ci.output()?, "bash ci.sh").contains("js v3: ok"));
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}

#[test]
fn every_relative_link_in_the_docs_leads_somewhere() {
    let mut broken = Vec::new();
    let docs: Vec<_> = std::fs::read_dir(root().join("docs")).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    for page in docs.iter().chain([&root().join("README.md")]) {
        let text = std::fs::read_to_string(page).unwrap();
        for link in text.split("](").skip(1).filter_map(|l| l.split(')').next()) {
            let target = link.split('#').next().unwrap_or_default();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if !page.parent().unwrap_or(Path::new(".")).join(target).exists() {
                broken.push(format!("{}: {link}", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to nothing: {broken:?}");
}

/// docs/ARCHITECTURE.md names every file of the rooms, the harness, the scripts and the
/// deployment files (by name, or by its stem in words: `use_chat`).
#[test]
fn the_architecture_names_every_file() {
    let map = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    let words: std::collections::BTreeSet<&str> = map.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.')).collect();
    let mut missing = Vec::new();
    let mut visit = |dir: &Path| {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(at) = stack.pop() {
            for entry in std::fs::read_dir(&at).unwrap().filter_map(Result::ok) {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                if ["lib.rs", "main.rs", "mod.rs"].contains(&name.as_str()) {
                    continue;
                }
                if !words.contains(name.as_str()) && !words.contains(stem.as_str()) {
                    missing.push(path.strip_prefix(root()).unwrap().display().to_string());
                }
            }
        }
    };
    for dir in ["src", "server/src", "local/src", "proto/src", "codecs/src", "element/src", "element/js", "studio/src", "e2e/src", "scripts", "deploy"] {
        visit(&root().join(dir));
    }
    assert!(missing.is_empty(), "docs/ARCHITECTURE.md does not name: {missing:?}");
}
