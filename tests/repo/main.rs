//! Rules checked by reading the repository's files rather than running its code: the library
//! names `std::sync`, `std::thread`, `loom` and `shuttle` only in its shim
//! ([`shim_boundary`]), `Cargo.toml`'s `rust-version` is declared and built by CI
//! ([`manifest`]), and a pool that checks itself compiles none of the server's crates
//! ([`light_dependency`]).
#![cfg(not(any(loom, shuttle)))]

mod light_dependency;
mod manifest;
mod shim_boundary;
