//! The built-in Noukai simulator (being built).
