//! Empty: this crate exists for its tests (`tests/verdicts.rs`, `tests/card.rs`).
