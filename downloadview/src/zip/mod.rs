//! Zip archives (SPEC §13). For now, [`name`]: entry names that cannot
//! unpack outside the archive's folder.

// Not yet wired into `VirtualFile`: the streaming engine will drive it.
#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod name;
