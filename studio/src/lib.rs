//! The studio (`/studio`): a producer runs the show from one page — a preview of the channel as
//! viewers see it (the viewer's own player, overlays and cards, from `ivs-viewer`) beside the
//! desk (`desk/`). A WebAssembly module of its own, which `js/boot.js` starts on that page instead
//! of the viewer's app: nothing of it is in what a viewer loads.

pub mod desk;

use ivs_viewer::app::{load_config, provide_channel};
use ivs_viewer::components::viewer::Viewer;
use ivs_viewer::hooks::use_ivs_player::use_ivs_player;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// The page: the preview, then the desk (beside it where the screen is wide).
#[component]
pub fn StudioPage() -> impl IntoView {
    let loaded = load_config();
    let player = use_ivs_player();
    let polls = provide_channel(player);
    // The producer's preview is not a viewer: it reports nothing to the site's analytics.
    let config = Signal::derive(move || loaded.get().and_then(Result::ok).map(|c| ivs_proto::config::ViewerConfig { analytics: None, ..c }));
    Effect::new(move |_| polls.set_votes_url(config.with(|c| c.as_ref().and_then(|c| c.votes_url.clone()))));
    let error = move || loaded.get().and_then(Result::err).map(|e| e.words());
    view! {
        <main class="app studio-page">
            <Show
                when=move || error().is_none()
                fallback=move || view! { <p class="app-error" role="alert" data-testid="config-error">{error()}</p> }
            >
                <div class="studio-preview" data-testid="studio-preview">
                    <Viewer config=config cards_under_when_room=true />
                </div>
                <desk::Studio chat=Signal::derive(move || config.with(|c| c.as_ref().and_then(|c| c.chat.clone()))) />
            </Show>
        </main>
    }
}

/// Started by `js/boot.js` (after the preview's first frame, as the viewer's app is).
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Info);
    wasm_bindgen_futures::spawn_local(async {
        ivs_viewer::i18n::start(ivs_viewer::config::lang_request(), "/", None).await;
        leptos::mount::mount_to_body(StudioPage);
    });
}
