//! Vendor-neutral data: what a router told us about its IKE and IPsec state.
//! Nothing here knows how a vendor prints it; parsers fill these types, the doctor and the
//! screen read them.

mod config;
mod debug;
mod deltas;
mod dialect;
mod snapshot;
mod source;

pub use config::*;
pub use debug::*;
pub use deltas::*;
pub use dialect::*;
pub use snapshot::*;
pub use source::*;
