//! A real pseudo-terminal pair for serial tests: the slave's path is the "device", the
//! master is the other end of the cable.

// Also taken on its own (`#[path = "support/pty.rs"]`) by test files that need only this
// helper, where most of it is unused.
#![allow(dead_code)]

use std::os::fd::{FromRawFd, OwnedFd};

pub struct Pty {
    pub master: OwnedFd,
    /// Kept open so the slave side exists until the test opens it by path.
    pub slave: OwnedFd,
    pub path: String,
}

pub fn open() -> Pty {
    let mut master = 0;
    let mut slave = 0;
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: openpty writes two descriptors and a NUL-terminated name into our buffers.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            name.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty failed: {}", std::io::Error::last_os_error());
    // SAFETY: the name buffer was NUL-terminated by openpty.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    // Raw mode on the slave: no echo or line editing between the two ends.
    // SAFETY: termios calls on a descriptor we own.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        libc::tcgetattr(slave, &mut t);
        libc::cfmakeraw(&mut t);
        libc::tcsetattr(slave, libc::TCSANOW, &t);
    }
    // SAFETY: both descriptors are fresh from openpty and owned by nobody else.
    Pty {
        master: unsafe { OwnedFd::from_raw_fd(master) },
        slave: unsafe { OwnedFd::from_raw_fd(slave) },
        path,
    }
}

/// The master as a tokio file (reads and writes on the blocking pool).
pub fn master_file(p: &Pty) -> tokio::fs::File {
    let fd = p.master.try_clone().expect("dup master");
    tokio::fs::File::from_std(std::fs::File::from(fd))
}

/// The master as two tokio files, one to read and one to write: a single tokio file cannot
/// write while a read waits on the blocking pool.
pub fn master_halves(p: &Pty) -> (tokio::fs::File, tokio::fs::File) {
    (master_file(p), master_file(p))
}
