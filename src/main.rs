//! Entry point: installs the panic hook and logger, then mounts the app.

fn main() {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("app:start");
    }
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Info);
    // Video first: when the start-up script is already loading the stream, the view mounts once
    // the first frame is in (or after 800 ms at most).
    ivs_viewer::bindings::ivs::after_prewarmed_first_frame(800, || leptos::mount::mount_to_body(ivs_viewer::App));
}
