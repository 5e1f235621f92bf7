//! Earlier products, under the video: each a checked link.

use ivs_proto::overlay::Product;
use leptos::prelude::*;

use crate::i18n::t;

/// The tray of recent products (newest first); hidden while empty.
#[component]
pub fn ProductTray(
    /// The products to list.
    #[prop(into)]
    products: Signal<Vec<Product>>,
) -> impl IntoView {
    view! {
        <Show when=move || products.with(|p| !p.is_empty())>
            <nav class="product-tray" part="product-tray" data-testid="product-tray" aria-label=t("product.recent")>
                <span class="tray-title">{t("product.earlier")}</span>
                <ul>
                    {move || products.get().into_iter().map(|product| view! {
                        <li>
                            <a href=product.url.to_string() target="_blank" rel="noopener noreferrer">
                                <span class="tray-name" dir="auto">{product.title}</span>
                                " "
                                <span class="tray-price" dir="auto">{product.price}</span>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            </nav>
        </Show>
    }
}
