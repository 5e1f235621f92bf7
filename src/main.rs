//! The IVS viewer: a Leptos client-side app. See `docs/ARCHITECTURE.md`.

mod app;
mod bindings;
mod components;
mod config;
mod hooks;

fn main() {
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Info);
    leptos::mount::mount_to_body(app::App);
}
