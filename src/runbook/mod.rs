//! The procedure as data (being written).
