//! The tests' PostgreSQL server (the library's throwaway one).
#![allow(dead_code, unreachable_pub)]

pub use asyncio_ecosystem::pg_server::Pg;
