//! The viewer's languages as a test reads them: a locale file's words, and what a page shows
//! (its language and direction, some of its words, keys shown instead of words, text that
//! overflows its box), for Chromium and Firefox alike.

use crate::stack::root;

/// A locale's words by key (a plural entry: its `other` form).
pub fn words(locale: &str) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let text = std::fs::read_to_string(root().join(format!("locales/{locale}.json")))?;
    let mut table: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)?;
    for value in table.values_mut() {
        if let Some(other) = value.get("other").cloned() {
            *value = other;
        }
    }
    Ok(table)
}

pub fn word(table: &serde_json::Map<String, serde_json::Value>, key: &str) -> String {
    table.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned()
}

/// What the page shows, for the checks: its language and direction, some of its words, the keys
/// that show instead of words (from `keys`), and the boxes text overflows.
pub fn page_report(keys: &[String]) -> String {
    format!(
        r#"(() => {{
  const keys = new Set({keys});
  const text = (s) => document.querySelector(s)?.textContent ?? null;
  const said = [document.body.innerText, ...[...document.querySelectorAll('[aria-label], [placeholder]')]
    .flatMap(e => [e.getAttribute('aria-label'), e.getAttribute('placeholder')])].filter(Boolean).join('\n');
  const leaked = [...new Set(said.match(/[a-z]+(\.[a-z_]+)+/g) ?? [])].filter(k => keys.has(k));
  const boxes = '.ctl, .status-badge, .viewer-count, .poll-choice, .poll-question, .card-kicker, .poll-meta, .poll-timer span, '
    + '.chat-send, .chat-state, .chat-title, .chat-input, .slate-title, .slate-text, .notice, .site-links a, .product-link';
  const overflowing = [...document.querySelectorAll(boxes)]
    .filter(e => e.offsetWidth > 0 && getComputedStyle(e).display !== 'inline' && e.scrollWidth > e.clientWidth + 1)
    .map(e => `${{e.className || e.tagName}} "${{e.textContent.trim().slice(0, 40)}}" (${{e.scrollWidth}} > ${{e.clientWidth}})`);
  return JSON.stringify({{
    lang: document.documentElement.lang, dir: document.documentElement.dir,
    badge: text('[data-testid=status]')?.trim(), chat: text('.chat-title'), kicker: text('[data-testid=poll] .card-kicker'),
    send: text('.chat-send'), slateTitle: text('.slate-title'), slateText: text('.slate-text'),
    leaked, overflowing,
  }});
}})()"#,
        keys = serde_json::to_string(keys).unwrap_or_default()
    )
}
