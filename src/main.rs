//! Entry point: installs the panic hook and logger, then mounts the app.

fn main() {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("app:start");
    }
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Info);
    // js/boot.js starts this module once the first frame is in (see docs/ARCHITECTURE.md); the
    // app mounts with its words, whose file boot.js asked for at the start.
    wasm_bindgen_futures::spawn_local(async {
        ivs_viewer::i18n::start(ivs_viewer::config::lang_request(), "/", None).await;
        leptos::mount::mount_to_body(ivs_viewer::App);
    });
}
