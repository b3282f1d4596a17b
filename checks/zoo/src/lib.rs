//! The zoo: real thread-pool crates from the registry, each checked unedited by
//! `cargo pool-check NAME@VERSION` (tools/pool-check), each card compared with its committed
//! verdicts in `expected/` (`tests/zoo.rs`). `zoo.txt` names the crates and the flags that say
//! their shape. The crates are this package's dependencies only so that cargo fetches and pins
//! them; nothing here uses them.
