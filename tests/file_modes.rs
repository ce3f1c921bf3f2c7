//! Files tunnelscope writes are for its user only, and never written through a symbolic link
//! (issue 8, item 4): captures, bundles and saved `show debug ipsec` output are 0600 and the
//! data folder 0700 under a umask of 022; a link planted at a bundle's or a capture's path
//! (`ln -s victim sym-bundle.tar`) is refused with a message saying so, and the file it points
//! to is left as it was.
//!
//! One test only in this file: it sets the umask and XDG_DATA_HOME of the whole process.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use tunnelscope::capture::bundle::{self, Entry};
use tunnelscope::capture::{default_path, CaptureWriter, Header};

const BIN: &str = env!("CARGO_BIN_EXE_tunnelscope");

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn fresh_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("tunnelscope-file-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("test folder");
    d
}

fn summary() -> Vec<Entry> {
    vec![Entry {
        name: "summary.txt".into(),
        data: b"a summary\n".to_vec(),
    }]
}

#[test]
fn files_are_0600_in_a_0700_data_folder_and_links_are_refused() {
    // SAFETY: umask only sets this process's file creation mask.
    unsafe { libc::umask(0o022) };
    let base = fresh_dir();
    let data = base.join("data");
    std::env::set_var("XDG_DATA_HOME", &data);
    // The data folder as an earlier version left it: 0755.
    let ours = data.join("tunnelscope");
    std::fs::create_dir_all(&ours).unwrap();
    std::fs::set_permissions(&ours, std::fs::Permissions::from_mode(0o755)).unwrap();

    // A capture in its default place.
    let cap = default_path("Peer1");
    assert!(cap.starts_with(&ours), "{}", cap.display());
    let mut w = CaptureWriter::create(&cap, &Header::default(), false).unwrap();
    w.received(b"SecOff Peer1> ");
    drop(w);
    assert_eq!(mode(&cap), 0o600, "capture");
    assert_eq!(mode(&ours), 0o700, "data folder");
    assert_eq!(mode(cap.parent().unwrap()), 0o700, "captures folder");
    // A capture never replaces a file.
    let e = CaptureWriter::create(&cap, &Header::default(), false)
        .err()
        .expect("a second capture over the first");
    assert!(e.to_string().contains("already exists"), "{e}");

    // Its bundle, written twice (the second replaces the first), stays 0600 with no
    // temporary file left beside it.
    let b = bundle::path_for(&cap);
    for _ in 0..2 {
        bundle::write(&b, Some(&cap), &summary()).unwrap();
        assert_eq!(mode(&b), 0o600, "bundle");
    }
    let names: Vec<String> = std::fs::read_dir(cap.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // Saved `show debug ipsec` output, as the screen saves it.
    let saved = cap.with_file_name("Peer1-show-debug-ipsec.txt");
    tunnelscope::fsutil::write_replace(&saved, b"show debug ipsec\n").unwrap();
    assert_eq!(mode(&saved), 0o600, "saved show debug ipsec");

    // Links planted at the paths: refused, the victim untouched.
    let victim = base.join("victim");
    std::fs::write(&victim, "keep\n").unwrap();
    let sym_bundle = base.join("sym-bundle.tar");
    std::os::unix::fs::symlink(&victim, &sym_bundle).unwrap();
    let e = bundle::write(&sym_bundle, Some(&cap), &summary()).unwrap_err();
    assert!(e.to_string().contains("symbolic link"), "{e}");
    let sym_cap = base.join("sym.tscap");
    std::os::unix::fs::symlink(&victim, &sym_cap).unwrap();
    let e = CaptureWriter::create(&sym_cap, &Header::default(), false)
        .err()
        .expect("a capture through a link");
    assert!(e.to_string().contains("symbolic link"), "{e}");
    let e = tunnelscope::fsutil::write_replace(&sym_cap, b"x").unwrap_err();
    assert!(e.to_string().contains("symbolic link"), "{e}");
    // A dangling link, too: nothing is created where it points.
    let dangling = base.join("dangling.tscap");
    std::os::unix::fs::symlink(base.join("not-there"), &dangling).unwrap();
    assert!(CaptureWriter::create(&dangling, &Header::default(), false).is_err());
    assert!(!base.join("not-there").exists());

    // The `bundle` command as a user runs it, under umask 022.
    let run = |out: &Path| {
        Command::new("sh")
            .arg("-c")
            .arg("umask 022; exec \"$0\" bundle \"$1\" --output \"$2\"")
            .arg(BIN)
            .arg(&cap)
            .arg(out)
            .output()
            .expect("run tunnelscope bundle")
    };
    let o = run(&sym_bundle);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "bundle wrote through a link: {stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
    let fresh = base.join("out").join("fresh-bundle.tar");
    let o = run(&fresh);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(mode(&fresh), 0o600, "bundle from the command");
    assert_eq!(mode(fresh.parent().unwrap()), 0o700, "folder made for it");

    let _ = std::fs::remove_dir_all(&base);
}
