//! End to end: the viewer on phones and small players. With a poll, a product, a notice and
//! captions showing, none of them covers another or the control bar, all are on screen, and every
//! option is big enough to tap on a phone — in portrait and landscape and on a desktop. (On a phone
//! in landscape the cards share a scrolling column over the picture: the poll is what must show.)
//! On a desktop, where the screen has room under the picture, the cards go there: whole, covering
//! none of it. The control bar's buttons never overlap or leave the bar.
//! A screenshot of each size is kept in `target/e2e-artifacts/` for a person to look at.

use std::time::Duration;

use chromiumoxide::page::ScreenshotParams;
use ivs_e2e::{eval, root, wait_for, Chromium, Stack, PLAYING, STAGE_READY};

const POLL: &str = r#"{"type":"poll","question":"Which feature should we build next for the mobile viewers?","options":["Dark mode","Offline downloads","Picture in picture"],"duration":300}"#;
const PRODUCT: &str =
    r#"{"type":"product","title":"Stream mug","price":"$12","imageUrl":"https://shop.example.com/mug.png","url":"https://shop.example.com/mug"}"#;
const NOTICE: &str = r#"{"type":"notice","text":"Welcome! Vote in the poll below and say hi in the chat.","duration":300}"#;

/// The boxes of what is showing, as `[name, left, top, right, bottom]` — for a card, the part of
/// it its scrolling column shows — and the viewport.
const BOXES: &str = r#"(() => {
  const box = (name, selector) => {
    const e = document.querySelector(selector);
    if (!e) return null;
    let r = e.getBoundingClientRect();
    const column = e.closest('.overlays');
    if (column && getComputedStyle(column).overflowY !== 'visible') {
      const c = column.getBoundingClientRect();
      r = { left: Math.max(r.left, c.left), top: Math.max(r.top, c.top), right: Math.min(r.right, c.right), bottom: Math.min(r.bottom, c.bottom) };
      if (r.bottom <= r.top) return null;
    }
    return [name, r.left, r.top, r.right, r.bottom];
  };
  return JSON.stringify({
    boxes: [box('notice', '[data-testid=notice]'), box('poll', '[data-testid=poll]'), box('product', '[data-testid=product]'), box('caption', '[data-testid=caption]'), box('controls', '[data-testid=controls]')].filter(Boolean),
    picture: (r => [r.left, r.top, r.right, r.bottom])(document.querySelector('.frame').getBoundingClientRect()),
    statusRight: document.querySelector('.status-row').getBoundingClientRect().right,
    crowded: (() => {
      const bar = document.querySelector('[data-testid=controls]').getBoundingClientRect();
      const shown = [...document.querySelectorAll('[data-testid=controls] > *')].filter(e => e.offsetWidth > 0 && !e.classList.contains('ctl-spacer'))
        .map(e => [e.dataset.testid || e.className, e.getBoundingClientRect()]);
      const said = [];
      shown.forEach(([name, r], i) => {
        if (r.left < bar.left - 0.5 || r.right > bar.right + 0.5) said.push(`${name} leaves the control bar`);
        for (const [other, o] of shown.slice(i + 1)) if (Math.min(r.right, o.right) - Math.max(r.left, o.left) > 0.5) said.push(`${name} and ${other} overlap`);
      });
      return said;
    })(),
    cards: [...document.querySelectorAll('.overlays > .card')].map(e => (r => [r.left, r.top, r.right, r.bottom])(e.getBoundingClientRect())),
    viewport: [innerWidth, innerHeight],
    smallestTarget: Math.min(...[...document.querySelectorAll('[data-testid=poll-choice]')].map(b => b.getBoundingClientRect().height)),
  });
})()"#;

fn overlap(a: &[f64], b: &[f64]) -> f64 {
    let width = a[2].min(b[2]) - a[0].max(b[0]);
    let height = a[3].min(b[3]) - a[1].max(b[1]);
    if width > 0.0 && height > 0.0 {
        width * height
    } else {
        0.0
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn overlays_never_cover_each_other_the_controls_or_the_captions_at_any_size() -> anyhow::Result<()> {
    let stack = Stack::start()?;
    let chromium = Chromium::launch().await?;
    let artifacts = root().join("target/e2e-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    let all: &[&str] = &["notice", "poll", "product", "caption", "controls"];
    // Right to left too (Arabic): the same rules, mirrored.
    let sizes: [(i64, i64, bool, &[&str], &str); 9] = [
        (360, 740, true, all, "en"),
        (390, 844, true, all, "en"),
        (740, 360, true, &["notice", "poll", "caption", "controls"], "en"),
        (1280, 800, false, all, "en"),
        (1920, 1080, false, all, "en"),
        (1024, 768, false, all, "en"),
        (360, 740, true, all, "ar"),
        (740, 360, true, &["notice", "poll", "caption", "controls"], "ar"),
        (1280, 800, false, all, "ar"),
    ];
    let mut failures = Vec::new();
    for (width, height, mobile, expected, lang) in sizes {
        let page = chromium.open_as_device(&format!("{}/?lang={lang}", stack.site), width, height, mobile).await?;
        let size = if lang == "en" { format!("{width}x{height}") } else { format!("{width}x{height}-{lang}") };
        wait_for(&page, PLAYING, Duration::from_secs(20)).await?;
        wait_for(&page, STAGE_READY, Duration::from_secs(10)).await?;
        for overlay in [NOTICE, POLL, PRODUCT] {
            let (status, answer) = stack.publish(overlay)?;
            anyhow::ensure!(status == 200, "publishing: {answer}");
        }
        let showing = expected.iter().map(|name| format!("document.querySelector('[data-testid={name}]')")).collect::<Vec<_>>().join(" && ");
        wait_for(&page, &showing, Duration::from_secs(10)).await?;
        // Let the cards and the caption settle (transitions, images).
        tokio::time::sleep(Duration::from_millis(600)).await;
        let screenshot = page.screenshot(ScreenshotParams::builder().build()).await?;
        std::fs::write(artifacts.join(format!("layout-{size}.png")), screenshot)?;
        let layout: serde_json::Value = serde_json::from_str(&eval::<String>(&page, BOXES).await?)?;
        let boxes: Vec<(String, Vec<f64>)> =
            layout["boxes"].as_array().unwrap().iter().map(|b| (b[0].as_str().unwrap().to_owned(), (1..5).map(|i| b[i].as_f64().unwrap()).collect())).collect();
        let (vw, vh) = (layout["viewport"][0].as_f64().unwrap(), layout["viewport"][1].as_f64().unwrap());
        for (i, (a, ra)) in boxes.iter().enumerate() {
            if expected.contains(&a.as_str()) && (ra[0] < -0.5 || ra[1] < -0.5 || ra[2] > vw + 0.5 || ra[3] > vh + 0.5) {
                failures.push(format!("{size}: {a} is not wholly on screen: {ra:?} in {vw}x{vh}"));
            }
            for (b, rb) in &boxes[i + 1..] {
                let area = overlap(ra, rb);
                if area > 1.0 {
                    failures.push(format!("{size}: {a} and {b} overlap ({area:.0} px²): {ra:?} {rb:?}"));
                }
            }
        }
        // Right to left, the status row starts at the right and cards over the picture sit at
        // its left.
        if lang == "ar" {
            let (status_right, picture_right): (f64, f64) = (layout["statusRight"].as_f64().unwrap_or(0.0), layout["picture"][2].as_f64().unwrap_or(0.0));
            if picture_right - status_right > 24.0 {
                failures.push(format!("{size}: the status row is not at the picture's right ({status_right} of {picture_right})"));
            }
        }
        for said in layout["crowded"].as_array().into_iter().flatten() {
            failures.push(format!("{size}: in the control bar, {}", said.as_str().unwrap_or_default()));
        }
        // A desktop has room under the picture: the cards go there, whole, and cover none of it.
        if !mobile {
            let picture: Vec<f64> = serde_json::from_value(layout["picture"].clone())?;
            let cards: Vec<Vec<f64>> = serde_json::from_value(layout["cards"].clone())?;
            for card in &cards {
                let covered = overlap(card, &picture);
                if covered > 1.0 {
                    failures.push(format!("{size}: a card covers {covered:.0} px² of the picture {picture:?}: {card:?}"));
                }
                if card[3] > vh + 0.5 {
                    failures.push(format!("{size}: a card is cut short at the screen's edge: {card:?}"));
                }
            }
        }
        let smallest = layout["smallestTarget"].as_f64().unwrap_or(0.0);
        if mobile && smallest < 44.0 {
            failures.push(format!("{size}: a poll option is {smallest} px tall (at least 44 to tap)"));
        }
        // The next size starts clean.
        let (status, _) = stack.publish(r#"{"type":"clear"}"#)?;
        anyhow::ensure!(status == 200);
        page.close().await?;
    }
    chromium.close().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}
