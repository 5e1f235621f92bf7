//! A product card over the video. Every link and image comes from a scheme-checked URL.

use ivs_proto::overlay::Product;
use leptos::prelude::*;

use crate::i18n::t;

/// The product card, dismissible.
#[component]
pub fn ProductCard(
    /// The product from the cue.
    product: Product,
    /// Called when the viewer closes the card.
    on_dismiss: Callback<()>,
) -> impl IntoView {
    // An image that fails to load is left out rather than shown broken.
    let (image_failed, set_image_failed) = signal(false);
    let image = product.image_url.to_string();
    view! {
        <aside class="card product-card" part="product" data-testid="product" aria-label=t("product.label")>
            <button class="card-close" aria-label=t("product.dismiss") on:click=move |_| on_dismiss.run(())>"×"</button>
            <Show when=move || !image_failed.get()>
                <img
                    class="product-image"
                    src=image.clone()
                    alt=""
                    referrerpolicy="no-referrer"
                    on:error=move |_| set_image_failed.set(true)
                />
            </Show>
            <div class="product-body">
                <h2 class="product-title" data-testid="product-title" dir="auto">{product.title}</h2>
                <p class="product-price" dir="auto">{product.price}</p>
                <a class="product-link" href=product.url.to_string() target="_blank" rel="noopener noreferrer">{t("product.view")}</a>
            </div>
        </aside>
    }
}
