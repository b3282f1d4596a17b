//! Rules checked by reading the repository's files rather than running its code: the library
//! names `std::sync`, `std::thread`, `loom` and `shuttle` only in its shim
//! ([`shim_boundary`]), and `Cargo.toml`'s `rust-version` is declared and built by CI
//! ([`manifest`]).
#![cfg(not(any(loom, shuttle)))]

mod manifest;
mod shim_boundary;
