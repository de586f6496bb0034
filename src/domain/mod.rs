//! Pure rules of the product: no actix, no diesel. Input is parsed into these types at the edge.

pub mod account;
pub mod device;
