//! End to end, the way production runs: HTTPS everywhere. Two site server instances, started by
//! the systemd unit's command line (`deploy/ivs-site.service`), behind Caddy with the Caddyfile
//! docs/deploy.md gives (`deploy/Caddyfile`), on an `https://` origin; votes in a Redis that
//! speaks only TLS, its certificate checked; IVS reached over TLS too (the local IVS behind a TLS
//! front, the AWS SDK trusting the CA through `SSL_CERT_FILE`); the page with its production
//! settings (no playback overrides). Viewers play, vote and chat; `ivs-site publish` and
//! `ivs-site check` work over HTTPS, and refuse a server they cannot trust.

use std::ffi::OsString;
use std::process::Command;
use std::time::Duration;

use chromiumoxide::Page;
use ivs_e2e::proxy::Caddy;
use ivs_e2e::tls::TestCa;
use ivs_e2e::{binary, eval, free_port, root, text, wait_for, Chromium, Redis, SiteInstance, Stack, PLAYING};

const POLL: &str = r#"{"type":"poll","question":"Encore?","options":["Yes","No","Twice"],"duration":120}"#;

/// A command line and its environment.
type UnitCommand = (Vec<OsString>, Vec<(String, String)>);

/// The unit's `ExecStart` and `Environment` lines, with its paths put where this run keeps them.
fn unit_command(paths: &[(&str, String)]) -> anyhow::Result<UnitCommand> {
    let unit = std::fs::read_to_string(root().join("deploy/ivs-site.service"))?;
    let place = |s: &str| paths.iter().fold(s.to_owned(), |s, (from, to)| s.replace(from, to));
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).ok_or_else(|| anyhow::anyhow!("the unit has no ExecStart"))?;
    let command = place(exec).split_whitespace().map(OsString::from).collect();
    let env = unit.lines().filter_map(|l| l.strip_prefix("Environment=")).filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), place(v))).collect();
    Ok((command, env))
}

async fn vote(page: &Page, option: usize) -> anyhow::Result<()> {
    // In front first: a page in the background may be kept from drawing the card.
    page.bring_to_front().await?;
    wait_for(page, "document.querySelectorAll('[data-testid=poll-choice]').length === 3", Duration::from_secs(20)).await?;
    let choices = page.find_elements("[data-testid=poll-choice]").await?;
    choices[option].click().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_tls_proxy_on_a_tls_redis_viewers_play_vote_and_chat() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let ca = TestCa::new()?;
    let redis = Redis::start_tls(&ca)?;
    let work = stack.config.parent().expect("the configuration's folder").join("production");
    std::fs::create_dir_all(&work)?;

    // IVS over TLS: the local IVS's API, playback and chat behind a TLS front of their own.
    let (api, playback, chat, site) = (free_port(), free_port(), free_port(), free_port());
    let tls = format!("tls {} {}", ca.cert.display(), ca.key.display());
    let front: String = [(api, &stack.api), (playback, &stack.playback), (chat, &stack.chat)]
        .iter()
        .map(|(port, to)| format!("https://localhost:{port} {{\n\t{tls}\n\treverse_proxy {}\n}}\n", to.split("//").nth(1).unwrap_or_default()))
        .collect();
    let front_file = work.join("ivs-front.Caddyfile");
    std::fs::write(&front_file, format!("{{\n\tadmin off\n\tauto_https disable_redirects\n}}\n{front}"))?;
    let _ivs_front = Caddy::start(&front_file, &[], &[api, playback, chat])?;

    // Two instances with the production settings, sharing the TLS Redis and the cookie key.
    let origin = format!("https://localhost:{site}");
    let base = std::fs::read_to_string(&stack.config)?;
    let line = |key: &str| base.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_owned();
    let playback_path = stack.playback_url().split(&stack.playback).nth(1).unwrap_or_default().to_owned();
    let mut instances = Vec::new();
    let mut configs = Vec::new();
    for n in 0..2 {
        let port = free_port();
        let config = base
            .replace(&line("listen = "), &format!("listen = \"127.0.0.1:{port}\""))
            .replace(&line("public_origin = "), &format!("public_origin = \"{origin}\""))
            .replace(&line("endpoint_url = "), &format!("endpoint_url = \"https://localhost:{api}\""))
            .replace(&line("endpoint = "), &format!("endpoint = \"wss://localhost:{chat}\""))
            .replace(&line("playback_overrides = "), &format!("playback_url = \"https://localhost:{playback}{playback_path}\""))
            .replace("[identity]\n", &format!("[identity]\ntrust_proxy = true\ncookie_secret = \"{}\"\n", "ab".repeat(32)))
            + &format!("[votes]\nstore = \"redis\"\nredis_url = \"{}\"\nredis_ca_file = {:?}\n", redis.url(), ca.ca.display().to_string());
        let file = work.join(format!("ivs-site-{n}.toml"));
        std::fs::write(&file, &config)?;
        let data = work.join(format!("data-{n}"));
        let (command, mut env) = unit_command(&[
            ("/usr/local/bin/ivs-site", binary("ivs-site", "IVS_SITE_BIN").display().to_string()),
            ("/etc/ivs-site/ivs-site.toml", file.display().to_string()),
            ("/var/lib/ivs-site", data.display().to_string()),
        ])?;
        // The AWS SDK trusts the system's roots, or the bundle SSL_CERT_FILE names.
        env.push(("SSL_CERT_FILE".into(), ca.ca.display().to_string()));
        instances.push(SiteInstance::start(&command, &env, &format!("http://127.0.0.1:{port}"), &work.join(format!("ivs-site-{n}.log")))?);
        configs.push((file, env));
    }

    // Caddy with the deployment guide's Caddyfile, in front of both.
    let upstreams = instances.iter().map(|i| i.url.trim_start_matches("http://").to_owned()).collect::<Vec<_>>().join(" ");
    let _caddy = Caddy::start(
        &root().join("deploy/Caddyfile"),
        &[
            ("IVS_SITE_ADDRESS", origin.clone()),
            ("IVS_SITE_UPSTREAMS", upstreams),
            ("IVS_SITE_TLS", tls.clone()),
            ("CADDY_OPTIONS", "admin off\nauto_https disable_redirects".into()),
        ],
        &[site],
    )?;

    // `check` over TLS: IVS's APIs and Redis answer, certificates checked.
    let (config_file, env) = &configs[0];
    let mut check = Command::new(binary("ivs-site", "IVS_SITE_BIN"));
    check.arg("--config").arg(config_file).arg("check").envs(env.iter().map(|(k, v)| (k, v)));
    let checked = ivs_e2e::with_local_credentials(&mut check).output()?;
    let said = String::from_utf8_lossy(&checked.stdout).into_owned() + &String::from_utf8_lossy(&checked.stderr);
    assert!(checked.status.success() && said.contains("all good") && said.contains("rediss://"), "{:?}: {said}", checked.status);

    // Viewers on the https:// origin: playing, with a Secure, partitioned identity cookie.
    let chromium = Chromium::launch_trusting(&ca.spki_sha256).await?;
    let ann = chromium.open_isolated(&format!("{origin}/")).await?;
    let bob = chromium.open_isolated(&format!("{origin}/")).await?;
    for page in [&ann, &bob] {
        wait_for(page, PLAYING, Duration::from_secs(30)).await?;
    }
    let cookies = ann.get_cookies().await?;
    let identity = cookies.iter().find(|c| c.name == "ivs_viewer").expect("an identity cookie");
    assert!(identity.secure && identity.http_only, "{identity:?}");
    assert_eq!(identity.same_site, Some(chromiumoxide::cdp::browser_protocol::network::CookieSameSite::None), "{identity:?}");
    assert!(identity.partition_key.is_some(), "partitioned (CHIPS): {identity:?}");
    // It plays what the page was told, over TLS; nothing else could have played (no overrides).
    let playing_from: String = eval(&ann, "JSON.parse(document.getElementById('ivs-viewer-config').textContent).playbackUrl").await?;
    assert!(playing_from.starts_with(&format!("https://localhost:{playback}/")), "{playing_from}");

    // A producer publishes over HTTPS, trusting the proxy's CA; without it, the CLI refuses.
    let publish = |ca_file: Option<&std::path::Path>| {
        let mut command = Command::new(binary("ivs-site", "IVS_SITE_BIN"));
        command.args(["publish", POLL, "--server", &origin, "--key", &stack.operator_key]);
        if let Some(file) = ca_file {
            command.arg("--ca-file").arg(file);
        }
        command.env_remove("IVS_SITE_CONFIG").current_dir(&work).output()
    };
    let untrusted = publish(None)?;
    assert!(!untrusted.status.success(), "a certificate no public CA signed is refused");
    assert!(String::from_utf8_lossy(&untrusted.stderr).contains("cannot reach the server"), "{untrusted:?}");
    let published = publish(Some(&ca.ca))?;
    assert!(published.status.success(), "{published:?}");

    // Both vote (their requests spread over the two instances); both see both votes.
    vote(&ann, 0).await?;
    vote(&bob, 2).await?;
    for page in [&ann, &bob] {
        page.bring_to_front().await?;
        wait_for(page, "document.querySelector('[data-testid=poll-total]')?.textContent === '2 votes'", Duration::from_secs(10)).await?;
    }
    assert_eq!(text(&ann, "poll-total").await?.as_deref(), Some("2 votes"));

    // Chat over wss:// through the TLS front.
    ann.bring_to_front().await?;
    let input = ann.find_element("[data-testid=chat-input]").await?;
    input.click().await?;
    input.type_str("hello over TLS").await?;
    input.press_key("Enter").await?;
    let seen = "[...document.querySelectorAll('[data-testid=chat-message] .chat-text')].some(e => e.textContent === 'hello over TLS')";
    bob.bring_to_front().await?;
    wait_for(&bob, seen, Duration::from_secs(10)).await?;
    chromium.close().await;
    Ok(())
}
