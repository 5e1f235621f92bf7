//! The root component: loads the configuration, then shows the viewer or a clear error.

use leptos::prelude::*;

use crate::components::viewer::Viewer;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let config = LocalResource::new(crate::config::load);
    view! {
        <main class="app">
            <Suspense fallback=|| view! { <p class="app-loading">"Loading…"</p> }>
                {move || config.get().map(|result| match result {
                    Ok(config) => view! { <Viewer config=config /> }.into_any(),
                    Err(message) => view! { <p class="app-error" role="alert" data-testid="config-error">{message}</p> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}
