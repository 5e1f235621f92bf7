//! A product card over the video. Every link and image comes from a scheme-checked URL.

use ivs_proto::overlay::Product;
use leptos::prelude::*;

/// The product card, dismissible.
#[component]
pub fn ProductCard(
    /// The product from the cue.
    product: Product,
    /// Called when the viewer closes the card.
    on_dismiss: Callback<()>,
) -> impl IntoView {
    view! {
        <aside class="card product-card" data-testid="product" aria-label="Featured product">
            <button class="card-close" aria-label="Dismiss product" on:click=move |_| on_dismiss.run(())>"×"</button>
            <img class="product-image" src=product.image_url.to_string() alt="" loading="lazy" referrerpolicy="no-referrer" />
            <div class="product-body">
                <h2 class="product-title" data-testid="product-title">{product.title}</h2>
                <p class="product-price">{product.price}</p>
                <a class="product-link" href=product.url.to_string() target="_blank" rel="noopener noreferrer">"View product"</a>
            </div>
        </aside>
    }
}
