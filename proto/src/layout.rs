//! Where the overlay cards go on the page: under the picture when the page has room for them
//! beneath it, over the picture only when it has not (full screen, a picture as tall as the
//! screen, an embed sized to its video). Under it, a card hides nothing and is never cut short.

/// Room below the picture, in CSS pixels, that the cards need to go under it: a poll with three
/// answers, or a product card, side by side.
pub const ROOM_FOR_CARDS: f64 = 240.0;

/// Where the cards are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardsPlace {
    /// A column over the picture's right side, scrolling within it.
    Over,
    /// A panel under the picture, the cards side by side where the width allows.
    Under,
}

/// Where the cards go when the picture's bottom edge is `picture_bottom` pixels from the top of
/// the page (at no scroll) in a viewport `viewport_height` tall; full screen keeps them over it.
pub fn cards_place(picture_bottom: f64, viewport_height: f64, fullscreen: bool) -> CardsPlace {
    if !fullscreen && viewport_height - picture_bottom >= ROOM_FOR_CARDS {
        CardsPlace::Under
    } else {
        CardsPlace::Over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desktop_with_room_under_the_picture_puts_the_cards_there() {
        // 1280×800 with chat beside: an 868 px wide picture, 488 px tall, 16 px from the top.
        assert_eq!(cards_place(504.0, 800.0, false), CardsPlace::Under);
        // 1920×1080: a 1192 px picture, 670 px tall.
        assert_eq!(cards_place(686.0, 1080.0, false), CardsPlace::Under);
    }

    #[test]
    fn a_picture_as_tall_as_the_screen_keeps_the_cards_over_it() {
        // A phone in landscape (740×360): the picture fills the height.
        assert_eq!(cards_place(360.0, 360.0, false), CardsPlace::Over);
        // An embed sized to its video.
        assert_eq!(cards_place(450.0, 450.0, false), CardsPlace::Over);
        // Just short of the room a card needs.
        assert_eq!(cards_place(800.0 - ROOM_FOR_CARDS + 1.0, 800.0, false), CardsPlace::Over);
    }

    #[test]
    fn full_screen_keeps_the_cards_over_the_picture() {
        assert_eq!(cards_place(100.0, 1080.0, true), CardsPlace::Over);
    }
}
