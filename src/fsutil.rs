//! Creating the files and folders tunnelscope writes (captures, bundles, saved command output,
//! known_hosts, the data folder) so that only their owner can read them, whatever the umask,
//! and so that a symbolic link planted at the target path never redirects a write to another
//! file: files are created with `O_CREAT|O_EXCL|O_NOFOLLOW` (mode 0600), replaced only by a
//! rename of such a new file, and folders are created 0700.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Files: read and write for the owner only.
pub const FILE_MODE: u32 = 0o600;
/// Folders: the owner only.
pub const DIR_MODE: u32 = 0o700;

/// The error for a symbolic link found where a file is to be written.
fn symlink_refused(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "refusing to write {}: it is a symbolic link (tunnelscope never writes through one; remove it or choose another name)",
            path.display()
        ),
    )
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// The error `create_new` gives for `e`, with the path and a clear reason.
fn create_error(path: &Path, e: io::Error) -> io::Error {
    if is_symlink(path) {
        return symlink_refused(path);
    }
    if e.kind() == io::ErrorKind::AlreadyExists {
        return io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already exists: tunnelscope does not overwrite it (remove it or choose another name)",
                path.display()
            ),
        );
    }
    io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display()))
}

/// Create a new file 0600 for writing; fails if anything (a file, a symbolic link, even a
/// dangling one) is already at `path`. Missing parent folders are created 0700.
pub fn create_new(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir_private(dir)?;
    }
    open_new(path)
}

fn open_new(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| create_error(path, e))?;
    // The mode given to open() is cut by the umask; a umask can only remove bits, but set it
    // exactly anyway so the file is 0600 whatever the umask.
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// A file being written under a temporary name beside its target; `commit` renames it over
/// the target. A rename replaces a symbolic link at the target rather than following it, and
/// `commit` refuses one anyway, so the file a link points to is never touched. Dropped
/// without `commit`, the temporary file is removed.
pub struct NewFile {
    file: File,
    tmp: PathBuf,
    dest: PathBuf,
}

impl NewFile {
    /// Start writing `dest` (which may exist, as a regular file: it is replaced on commit).
    pub fn create(dest: &Path) -> io::Result<NewFile> {
        if is_symlink(dest) {
            return Err(symlink_refused(dest));
        }
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_dir_private(dir)?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tunnelscope".into());
        // A name nobody else uses: the pid, a counter and the time.
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(".{name}.{}-{n}-{nanos}.tmp", std::process::id()));
        let file = open_new(&tmp)?;
        Ok(NewFile {
            file,
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// The file to write into.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Flush, then put the file in place of the target.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        self.file.flush()?;
        self.file.sync_all()?;
        if is_symlink(&self.dest) {
            return Err(symlink_refused(&self.dest));
        }
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write {}: {e}", self.dest.display()),
            )
        })?;
        self.tmp = PathBuf::new();
        Ok(self.dest.clone())
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write `data` to `path`, replacing a regular file there, never following a symbolic link.
pub fn write_replace(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut f = NewFile::create(path)?;
    f.file().write_all(data)?;
    f.commit().map(|_| ())
}

/// Open `path` to append to it (creating it 0600, and its folder 0700, if missing); refuses a
/// symbolic link at `path`.
pub fn open_append(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir_private(dir)?;
    }
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| {
            if is_symlink(path) {
                symlink_refused(path)
            } else {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
            }
        })
}

/// Create `dir` and its missing parents, each new one 0700 (whatever the umask). Folders
/// that exist are left as they are.
pub fn create_dir_private(dir: &Path) -> io::Result<()> {
    // "" is the parent of a bare file name: the current folder.
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    // Create the missing ones top down, so each can be set 0700 exactly.
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        missing.push(p.to_path_buf());
        d = p.parent();
    }
    for p in missing.iter().rev() {
        match DirBuilder::new().mode(DIR_MODE).create(p) {
            Ok(()) => std::fs::set_permissions(p, std::fs::Permissions::from_mode(DIR_MODE))?,
            // Another thread or process made it meanwhile.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && p.is_dir() => {}
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot create the folder {}: {e}", p.display()),
                ))
            }
        }
    }
    if !dir.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a folder",
            dir.display()
        )));
    }
    Ok(())
}

/// tunnelscope's data folder (`$XDG_DATA_HOME/tunnelscope`, else
/// `~/.local/share/tunnelscope`): created 0700, and made 0700 if it exists with more, since
/// everything in it is from a router's console. A symbolic link there is refused.
pub fn data_dir_private(dir: &Path) -> io::Result<()> {
    if is_symlink(dir) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "refusing to use {} as the data folder: it is a symbolic link",
                dir.display()
            ),
        ));
    }
    create_dir_private(dir)?;
    let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode != DIR_MODE {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("tunnelscope-fsutil-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_and_folders_are_private_and_links_are_refused() {
        let d = dir("new");
        let f = d.join("a/b/c.txt");
        create_new(&f).unwrap().write_all(b"x").unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(mode(&d.join("a")), 0o700);
        assert_eq!(mode(&d.join("a/b")), 0o700);
        let e = create_new(&f).unwrap_err().to_string();
        assert!(e.contains("already exists"), "{e}");
        let victim = d.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = d.join("link");
        symlink(&victim, &link).unwrap();
        for e in [
            create_new(&link).unwrap_err(),
            write_replace(&link, b"x").unwrap_err(),
            open_append(&link).unwrap_err(),
        ] {
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        // Replacing a regular file leaves no temporary file behind.
        write_replace(&f, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "new");
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read_dir(d.join("a/b")).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }
}
