//! The browser's `Intl` for the viewer's words (plural categories, numbers, times of day), the
//! browser's languages, the document's language and direction, and the locale file the start-up
//! script (js/boot.js) already asked for.

use js_sys::{Array, Function, Intl, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `n` of `unit` (`hour`, `minute`, `second`) in words, as `locale` says it (`5 minutes`).
pub fn unit_words(locale: &str, n: f64, unit: &str) -> String {
    let format =
        Intl::NumberFormat::new(&Array::of1(&locale.into()), &options(&[("style", "unit".into()), ("unit", unit.into()), ("unitDisplay", "long".into())]));
    call_to_string(&format.format(), &n.into())
}

/// `n` of `unit` (`second`, `megabit-per-second`, …) shortly, with `fraction` decimals, as
/// `locale` writes it (`1.4 s`, `1,4 s`, `2,5 Mbit/s`).
pub fn unit_short(locale: &str, n: f64, unit: &str, fraction: u32) -> String {
    let format = Intl::NumberFormat::new(
        &Array::of1(&locale.into()),
        &options(&[
            ("style", "unit".into()),
            ("unit", unit.into()),
            ("unitDisplay", "short".into()),
            ("minimumFractionDigits", fraction.into()),
            ("maximumFractionDigits", fraction.into()),
        ]),
    );
    call_to_string(&format.format(), &n.into())
}

/// `ms` since the epoch as a date and time, as `locale` writes it in the viewer's time zone.
pub fn date_time(locale: &str, ms: f64) -> String {
    let format = Intl::DateTimeFormat::new(&Array::of1(&locale.into()), &options(&[("dateStyle", "medium".into()), ("timeStyle", "short".into())]));
    call_to_string(&format.format(), &js_sys::Date::new(&ms.into()).into())
}

/// The moment `ms` since the epoch as an ISO 8601 timestamp (a `<time datetime>`).
pub fn iso_time(ms: f64) -> String {
    js_sys::Date::new(&ms.into()).to_iso_string().into()
}

/// `Intl`'s formatters for one locale, made once.
pub struct Formats {
    plural: Intl::PluralRules,
    number: Function,
    percent: Function,
    compact: Function,
    two_digits: Function,
    clock: Function,
}

fn options(pairs: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in pairs {
        let _ = Reflect::set(&object, &(*name).into(), value);
    }
    object
}

impl Formats {
    pub fn new(locale: &str) -> Self {
        let locales = Array::of1(&locale.into());
        let plural = Intl::PluralRules::new(&locales, &Object::new());
        let number = Intl::NumberFormat::new(&locales, &Object::new()).format();
        let percent = Intl::NumberFormat::new(&locales, &options(&[("style", "percent".into())])).format();
        let compact = Intl::NumberFormat::new(&locales, &options(&[("notation", "compact".into())])).format();
        let two_digits = Intl::NumberFormat::new(&locales, &options(&[("minimumIntegerDigits", 2.into()), ("useGrouping", false.into())])).format();
        let clock = Intl::DateTimeFormat::new(&locales, &options(&[("hour", "2-digit".into()), ("minute", "2-digit".into())])).format();
        Self { plural, number, percent, compact, two_digits, clock }
    }

    /// The plural category of `n` (`one`, `few`, …, `other`).
    pub fn plural_category(&self, n: f64) -> String {
        self.plural.select(n).into()
    }

    /// `n` as the locale writes it (digits, grouping, decimal sign).
    pub fn number(&self, n: f64) -> String {
        call_to_string(&self.number, &n.into())
    }

    /// `fraction` (0.5) as a percentage (`50%`, `50 %`, `٥٠٪`).
    pub fn percent(&self, fraction: f64) -> String {
        call_to_string(&self.percent, &fraction.into())
    }

    /// `n` shortened as the locale shortens it (`1.2K`, `1,2 Mio.`, `1.2万`).
    pub fn compact(&self, n: f64) -> String {
        call_to_string(&self.compact, &n.into())
    }

    /// `n` with at least two digits, ungrouped (a clock's seconds).
    pub fn two_digits(&self, n: f64) -> String {
        call_to_string(&self.two_digits, &n.into())
    }

    /// The time of day of `ms` since the epoch, in the viewer's zone.
    pub fn clock(&self, ms: f64) -> String {
        call_to_string(&self.clock, &js_sys::Date::new(&ms.into()).into())
    }
}

fn call_to_string(format: &Function, value: &JsValue) -> String {
    format.call1(&JsValue::UNDEFINED, value).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// A locale file as the browser reads it (`JSON.parse`: no parser of the viewer's own); its
/// entries are a text, or texts by plural category.
pub struct WordTable(Object);

impl WordTable {
    /// The table in `text`, if it is a JSON object.
    pub fn parse(text: &str) -> Option<Self> {
        js_sys::JSON::parse(text).ok().filter(|v| v.is_object() && !Array::is_array(v)).map(|v| Self(v.unchecked_into()))
    }

    /// The text of `key` — for plural `category`, its form (else `other`), or a plain text's.
    pub fn get(&self, key: &str, category: Option<&str>) -> Option<String> {
        let entry = Reflect::get(&self.0, &key.into()).ok()?;
        if let Some(text) = entry.as_string() {
            return Some(text);
        }
        if !entry.is_object() {
            return None;
        }
        let form = |name: &str| Reflect::get(&entry, &name.into()).ok().and_then(|v| v.as_string());
        category.and_then(form).or_else(|| form("other"))
    }
}

/// The browser's languages, in the viewer's order of preference.
pub fn browser_languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return Vec::new() };
    let listed: Vec<String> = navigator.languages().iter().filter_map(|l| l.as_string()).collect();
    if listed.is_empty() {
        navigator.language().into_iter().collect()
    } else {
        listed
    }
}

/// Marks `within` (else the document) as written in `locale`, right to left when `rtl` (the
/// layout mirrors).
pub fn set_language(within: Option<web_sys::Element>, locale: &str, rtl: bool) {
    let Some(root) = within.or_else(|| web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element())) else { return };
    let _ = root.set_attribute("lang", locale);
    let _ = root.set_attribute("dir", if rtl { "rtl" } else { "ltr" });
}

/// The locale js/boot.js chose and its file's text, on its way (`window.__ivsWords`), if it did.
pub fn preloaded_words() -> Option<(String, JsFuture)> {
    let window: JsValue = web_sys::window()?.into();
    let words = Reflect::get(&window, &"__ivsWords".into()).ok().filter(|v| v.is_object())?;
    let locale = Reflect::get(&words, &"locale".into()).ok()?.as_string()?;
    let text: js_sys::Promise = Reflect::get(&words, &"text".into()).ok()?.dyn_into().ok()?;
    Some((locale, JsFuture::from(text)))
}
