//! Photo evidence end to end: the simulated IP camera (Basic, Digest MD5/SHA-256, faults),
//! command cameras (file, stdout, failure, hang), the photo store (hash, versions,
//! read-only files, export with manifest, prune) and the policy gate.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, Utc};
use packdesk::camera::cli::{PhotosCmd, run};
use packdesk::camera::{
    Auth, Camera, CameraError, CommandCamera, Gate, HttpCamera, Manifest, PhotoError, PhotoPolicy,
    PhotoRecord, PhotoStore, Secret, photo_gate,
};
use packdesk::sim::Faults;
use packdesk::sim::camera::{CameraSim, DigestAlgorithm, SimAuth, render_snapshot};
use packdesk::store::Store;
use sha2::{Digest, Sha256};

const PASSWORD: &str = "S3cret-camera-pw";
const ORDER: &str = "upgates:2024-0815";

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn camera_sim(auth: SimAuth, faults: Faults) -> (CameraSim, packdesk::sim::Running) {
    let sim = CameraSim::new(auth, faults, 7);
    let running = sim.start(0).await.expect("camera simulator starts");
    (sim, running)
}

fn http(running: &packdesk::sim::Running, auth: Auth, timeout_ms: u64) -> HttpCamera {
    HttpCamera::new(
        &format!("{}/snapshot.jpg", running.base_url),
        auth,
        Duration::from_millis(timeout_ms),
    )
    .expect("valid camera url")
}

fn digest(user: &str, pass: &str) -> Auth {
    Auth::Digest {
        user: user.into(),
        pass: Secret::new(pass),
    }
}

fn basic(user: &str, pass: &str) -> Auth {
    Auth::Basic {
        user: user.into(),
        pass: Secret::new(pass),
    }
}

fn open_store() -> (tempfile::TempDir, Store, PhotoStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store opens");
    let photos = PhotoStore::open(&store).expect("photo store opens");
    (dir, store, photos)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("file exists")
        .permissions()
        .mode()
        & 0o777
}

/// The stored file hashes to the recorded SHA-256 and has the recorded size.
fn assert_record_matches_file(photos: &PhotoStore, r: &PhotoRecord) {
    let bytes = std::fs::read(photos.file_path(r)).expect("photo file readable");
    assert_eq!(sha_hex(&bytes), r.sha256);
    assert_eq!(bytes.len() as u64, r.size);
    assert_eq!(bytes.get(..2), Some(&[0xFF, 0xD8][..]));
}

#[tokio::test]
async fn basic_auth_snapshot_is_stored_with_its_hash() {
    let (sim, running) = camera_sim(
        SimAuth::Basic {
            user: "cam".into(),
            pass: PASSWORD.into(),
        },
        Faults::default(),
    )
    .await;
    let cam = http(&running, basic("cam", PASSWORD), 3000);
    let (_dir, _store, photos) = open_store();
    let r = photos
        .take(&cam, ORDER, Some(1), "bench-3", Some("Jana"))
        .await
        .expect("photo taken");
    assert_eq!(sim.served(), 1);
    assert_eq!(
        (
            r.order_key.as_str(),
            r.seq,
            r.parcel,
            r.station.as_str(),
            r.packer.as_deref()
        ),
        (ORDER, 1, Some(1), "bench-3", Some("Jana"))
    );
    assert!((Utc::now() - r.taken_at).num_seconds().abs() < 60);
    assert_record_matches_file(&photos, &r);
    let name = r.path.file_name().expect("file name").to_string_lossy();
    assert_eq!(name, format!("1-{}.jpg", &r.sha256[..16]));
    assert!(photos.file_path(&r).starts_with(photos.root()));
    assert_eq!(photos.list(ORDER).expect("list"), vec![r]);
}

#[tokio::test]
async fn basic_auth_wrong_password_is_a_clear_error_without_the_password() {
    let (sim, running) = camera_sim(
        SimAuth::Basic {
            user: "cam".into(),
            pass: PASSWORD.into(),
        },
        Faults::default(),
    )
    .await;
    let wrong = "wrong-pass-123";
    let err = http(&running, basic("cam", wrong), 3000)
        .snapshot()
        .await
        .expect_err("refused");
    assert!(matches!(err, CameraError::Unauthorized { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(text.contains("`cam`") && text.contains("401"), "{text}");
    assert!(!text.contains(wrong) && !text.contains(PASSWORD), "{text}");
    assert_eq!(sim.served(), 0);
    // No credentials at all: refused too.
    let err = http(&running, Auth::None, 3000)
        .snapshot()
        .await
        .expect_err("refused");
    assert!(matches!(err, CameraError::Unauthorized { .. }), "{err:?}");
}

async fn digest_roundtrip(algorithm: DigestAlgorithm) {
    let (sim, running) = camera_sim(
        SimAuth::Digest {
            user: "admin".into(),
            pass: PASSWORD.into(),
            algorithm,
        },
        Faults::default(),
    )
    .await;
    let cam = http(&running, digest("admin", PASSWORD), 3000);
    let a = cam.snapshot().await.expect("digest snapshot");
    let b = cam.snapshot().await.expect("second digest snapshot");
    assert_eq!(a.get(..3), Some(&[0xFF, 0xD8, 0xFF][..]));
    assert_ne!(a, b, "every snapshot is a new picture");
    assert_eq!(sim.served(), 2);
    assert!(sim.unauthorized_count() >= 1, "a challenge was answered");
    assert_eq!(sim.last_digest_algorithm(), Some(algorithm));

    let err = http(&running, digest("admin", "not-the-password"), 3000)
        .snapshot()
        .await
        .expect_err("wrong password refused");
    assert!(matches!(err, CameraError::Unauthorized { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("Digest") && text.contains("`admin`"),
        "{text}"
    );
    assert!(!text.contains("not-the-password") && !text.contains(PASSWORD));
    assert_eq!(sim.served(), 2);
}

#[tokio::test]
async fn digest_md5_snapshot() {
    digest_roundtrip(DigestAlgorithm::Md5).await;
}

#[tokio::test]
async fn digest_sha256_snapshot() {
    digest_roundtrip(DigestAlgorithm::Sha256).await;
}

#[tokio::test]
async fn digest_answers_the_strongest_of_several_challenges() {
    let sim = CameraSim::new_offering_more(
        SimAuth::Digest {
            user: "admin".into(),
            pass: PASSWORD.into(),
            algorithm: DigestAlgorithm::Sha256,
        },
        Faults::default(),
        11,
    );
    let running = sim.start(0).await.expect("starts");
    // The 401 carries Basic, Digest MD5 and Digest SHA-256, in that order.
    http(&running, digest("admin", PASSWORD), 3000)
        .snapshot()
        .await
        .expect("digest among several challenges");
    assert_eq!(sim.last_digest_algorithm(), Some(DigestAlgorithm::Sha256));
    http(&running, basic("admin", PASSWORD), 3000)
        .snapshot()
        .await
        .expect("this camera takes Basic too");
    assert_eq!(sim.served(), 2);
}

#[tokio::test]
async fn digest_client_against_basic_only_camera_is_refused() {
    let (_sim, running) = camera_sim(
        SimAuth::Basic {
            user: "cam".into(),
            pass: PASSWORD.into(),
        },
        Faults::default(),
    )
    .await;
    let err = http(&running, digest("cam", PASSWORD), 3000)
        .snapshot()
        .await
        .expect_err("basic challenge is not digest");
    assert!(matches!(err, CameraError::Challenge { .. }), "{err:?}");
    let text = err.to_string();
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains(&running.base_url), "{text}");
    assert!(text.contains("camera.auth = \"basic\""), "{text}");
    assert!(text.contains("offers only: Basic"), "{text}");
}

#[tokio::test]
async fn retake_adds_a_version_and_files_are_read_only() {
    let (_sim, running) = camera_sim(SimAuth::None, Faults::default()).await;
    let cam = http(&running, Auth::None, 3000);
    let (_dir, _store, photos) = open_store();
    let first = photos
        .take(&cam, ORDER, None, "bench-1", None)
        .await
        .expect("first");
    let first_bytes = std::fs::read(photos.file_path(&first)).expect("read");
    let second = photos
        .take(&cam, ORDER, None, "bench-1", Some("Piotr"))
        .await
        .expect("retake");
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_ne!(first.path, second.path);
    assert_ne!(first.sha256, second.sha256);
    for r in [&first, &second] {
        assert_eq!(mode(&photos.file_path(r)), 0o444, "{}", r.path.display());
        assert_record_matches_file(&photos, r);
    }
    assert_eq!(
        std::fs::read(photos.file_path(&first)).expect("read"),
        first_bytes,
        "the first version is untouched"
    );
    assert_eq!(photos.list(ORDER).expect("list"), vec![first, second]);
    assert!(photos.list("upgates:other").expect("list").is_empty());
}

#[tokio::test]
async fn versions_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let jpeg = render_snapshot(1).expect("jpeg");
    {
        let store = Store::open(dir.path()).expect("store");
        let photos = PhotoStore::open(&store).expect("photos");
        photos
            .add("test", &jpeg, ORDER, None, "b", None, Utc::now())
            .expect("added");
    }
    let store = Store::open(dir.path()).expect("store reopens");
    let photos = PhotoStore::open(&store).expect("photos");
    // Same bytes again: a new version, a new file, the old one kept.
    let r = photos
        .add("test", &jpeg, ORDER, None, "b", None, Utc::now())
        .expect("added again");
    assert_eq!(r.seq, 2);
    assert_eq!(photos.list(ORDER).expect("list").len(), 2);
}

#[tokio::test]
async fn export_writes_files_and_manifest_and_detects_tampering() {
    let (_dir, store, photos) = open_store();
    let t0 = Utc::now() - ChronoDuration::minutes(5);
    let a = photos
        .add(
            "test",
            &render_snapshot(1).expect("jpeg"),
            ORDER,
            Some(1),
            "bench-2",
            Some("Jana"),
            t0,
        )
        .expect("a");
    let b = photos
        .add(
            "test",
            &render_snapshot(2).expect("jpeg"),
            ORDER,
            Some(2),
            "bench-2",
            None,
            t0 + ChronoDuration::minutes(1),
        )
        .expect("b");
    let out = tempfile::tempdir().expect("out dir");
    let target = out.path().join("evidence");
    let manifest = photos.export(ORDER, &target).expect("exported");
    let on_disk: Manifest = serde_json::from_slice(
        &std::fs::read(target.join("manifest.json")).expect("manifest written"),
    )
    .expect("manifest parses");
    assert_eq!(on_disk, manifest);
    assert_eq!(manifest.order, ORDER);
    assert_eq!(manifest.photos.len(), 2);
    for (m, r) in manifest.photos.iter().zip([&a, &b]) {
        let bytes = std::fs::read(target.join(&m.file)).expect("exported file");
        assert_eq!(sha_hex(&bytes), m.sha256);
        assert_eq!(m.sha256, r.sha256);
        assert_eq!(
            (
                m.size,
                m.taken_at,
                m.station.as_str(),
                &m.packer,
                m.parcel,
                m.seq
            ),
            (
                r.size,
                r.taken_at,
                r.station.as_str(),
                &r.packer,
                r.parcel,
                r.seq
            )
        );
    }
    // Exporting again into the same directory is fine (same files).
    photos.export(ORDER, &target).expect("re-export");

    // Through the CLI, by store key.
    let cli_out = out.path().join("cli");
    let text = run(
        &store,
        PhotosCmd::Export {
            order: ORDER.into(),
            out: cli_out.clone(),
        },
    )
    .expect("cli export");
    assert!(text.contains("exported 2 photo(s)"), "{text}");
    assert!(cli_out.join("manifest.json").exists());

    // A changed file is caught, not exported.
    let path = photos.file_path(&a);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::write(&path, render_snapshot(99).expect("jpeg")).expect("overwrite");
    let err = photos
        .export(ORDER, &out.path().join("again"))
        .expect_err("tampered");
    assert!(matches!(err, PhotoError::Tampered { .. }), "{err:?}");
    assert!(err.to_string().contains(ORDER), "{err}");

    let err = photos
        .export("upgates:none", &out.path().join("x"))
        .expect_err("nothing to export");
    assert!(matches!(err, PhotoError::NoPhotos { .. }), "{err:?}");
}

#[tokio::test]
async fn prune_removes_expired_photos_only() {
    let (_dir, store, photos) = open_store();
    let now = Utc::now();
    let jpeg = render_snapshot(5).expect("jpeg");
    let old = photos
        .add(
            "t",
            &jpeg,
            ORDER,
            None,
            "b",
            None,
            now - ChronoDuration::days(31),
        )
        .expect("old");
    let other_old = photos
        .add(
            "t",
            &jpeg,
            "shop:7",
            None,
            "b",
            None,
            now - ChronoDuration::days(40),
        )
        .expect("old 2");
    let fresh = photos
        .add(
            "t",
            &jpeg,
            ORDER,
            None,
            "b",
            None,
            now - ChronoDuration::days(29),
        )
        .expect("fresh");
    let removed = photos.prune(30, now).expect("pruned");
    assert_eq!(removed, vec![other_old.clone(), old.clone()]);
    assert!(!photos.file_path(&old).exists());
    assert!(!photos.file_path(&other_old).exists());
    assert!(
        !photos.file_path(&other_old).parent().expect("dir").exists(),
        "an order directory left empty is removed"
    );
    assert!(photos.file_path(&fresh).exists());
    assert_eq!(photos.list(ORDER).expect("list"), vec![fresh.clone()]);
    assert!(photos.list("shop:7").expect("list").is_empty());
    assert!(photos.prune(30, now).expect("again").is_empty());
    let text = run(&store, PhotosCmd::Prune { retention_days: 1 }).expect("cli prune");
    assert!(text.contains("removed 1 photo(s)"), "{text}");
    assert!(photos.list(ORDER).expect("list").is_empty());
}

/// A shell script in `dir` with `body`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script written");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn command(program: &Path, args: &[&str], timeout_ms: u64) -> CommandCamera {
    CommandCamera::new(
        &program.to_string_lossy(),
        args.iter().map(|s| s.to_string()).collect(),
        Duration::from_millis(timeout_ms),
    )
}

#[tokio::test]
async fn command_camera_writes_out_file_or_stdout() {
    let dir = tempfile::tempdir().expect("dir");
    let jpeg = render_snapshot(3).expect("jpeg");
    let fixture = dir.path().join("fixture.jpg");
    std::fs::write(&fixture, &jpeg).expect("fixture");
    let to_file = script(dir.path(), "snap.sh", "cp \"$1\" \"$2\"");
    let cam = command(&to_file, &[&fixture.to_string_lossy(), "{out}"], 5000);
    assert_eq!(cam.snapshot().await.expect("snapshot"), jpeg);

    let to_stdout = script(dir.path(), "cat.sh", "cat \"$1\"");
    let cam = command(&to_stdout, &[&fixture.to_string_lossy()], 5000);
    assert_eq!(cam.snapshot().await.expect("snapshot"), jpeg);

    // Stored like any other photo.
    let (_d, _s, photos) = open_store();
    let r = photos
        .take(&cam, ORDER, None, "usb-bench", None)
        .await
        .expect("stored");
    assert_eq!(r.sha256, sha_hex(&jpeg));
}

#[tokio::test]
async fn command_camera_failures_are_clear() {
    let dir = tempfile::tempdir().expect("dir");
    let failing = script(
        dir.path(),
        "fail.sh",
        "echo '/dev/video0: No such device' >&2\nexit 3",
    );
    let err = command(&failing, &["{out}"], 5000)
        .snapshot()
        .await
        .expect_err("fails");
    assert!(matches!(err, CameraError::CommandFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("No such device"), "{err}");

    let not_jpeg = script(dir.path(), "html.sh", "echo '<html>login</html>' > \"$1\"");
    let err = command(&not_jpeg, &["{out}"], 5000)
        .snapshot()
        .await
        .expect_err("not a jpeg");
    assert!(matches!(err, CameraError::NotJpeg { .. }), "{err:?}");

    let silent = script(dir.path(), "silent.sh", "exit 0");
    let err = command(&silent, &["{out}"], 5000)
        .snapshot()
        .await
        .expect_err("no file");
    assert!(matches!(err, CameraError::Output { .. }), "{err:?}");

    let err = command(&dir.path().join("missing-program"), &[], 5000)
        .snapshot()
        .await
        .expect_err("no program");
    assert!(matches!(err, CameraError::Spawn { .. }), "{err:?}");
}

/// State letter of a process (`None`: gone).
fn proc_state(pid: &str) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(") ").next()?.chars().next()
}

#[tokio::test]
async fn hanging_command_times_out_and_is_killed() {
    let dir = tempfile::tempdir().expect("dir");
    let pid_file = dir.path().join("pid");
    let hang = script(dir.path(), "hang.sh", "echo $$ > \"$1\"\nexec sleep 30");
    let started = Instant::now();
    let err = command(&hang, &[&pid_file.to_string_lossy(), "{out}"], 400)
        .snapshot()
        .await
        .expect_err("times out");
    assert!(matches!(err, CameraError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("400 ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let pid = std::fs::read_to_string(&pid_file).expect("pid written");
    let pid = pid.trim();
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match proc_state(pid) {
            None | Some('Z') => break,
            Some(s) if Instant::now() > deadline => panic!("process {pid} still running ({s})"),
            Some(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test]
async fn simulated_camera_failures_are_errors_and_store_nothing() {
    let (_d, _s, photos) = open_store();

    let (_sim, running) = camera_sim(
        SimAuth::None,
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let err = photos
        .take(&http(&running, Auth::None, 3000), ORDER, None, "b", None)
        .await
        .expect_err("503");
    assert!(
        matches!(
            err,
            PhotoError::Camera(CameraError::Status { status: 503, .. })
        ),
        "{err:?}"
    );

    let (_sim, running) = camera_sim(
        SimAuth::None,
        Faults {
            timeout_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let started = Instant::now();
    let err = http(&running, Auth::None, 500)
        .snapshot()
        .await
        .expect_err("never answered");
    assert!(matches!(err, CameraError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    let (_sim, running) = camera_sim(
        SimAuth::None,
        Faults {
            latency: Duration::from_millis(1500),
            ..Faults::default()
        },
    )
    .await;
    let err = http(&running, Auth::None, 300)
        .snapshot()
        .await
        .expect_err("too slow");
    assert!(matches!(err, CameraError::Timeout { .. }), "{err:?}");
    assert!(
        http(&running, Auth::None, 5000).snapshot().await.is_ok(),
        "a patient client gets the picture"
    );

    // Nothing reachable on this port.
    let dead = HttpCamera::new(
        "http://127.0.0.1:9/snapshot.jpg",
        Auth::None,
        Duration::from_secs(2),
    )
    .expect("url");
    let err = dead.snapshot().await.expect_err("unreachable");
    assert!(
        matches!(
            err,
            CameraError::Unreachable { .. } | CameraError::Timeout { .. }
        ),
        "{err:?}"
    );

    assert!(photos.list(ORDER).expect("list").is_empty());
    assert!(
        !photos.root().exists()
            || std::fs::read_dir(photos.root())
                .expect("dir")
                .next()
                .is_none(),
        "no file was written"
    );
}

#[test]
fn url_with_credentials_is_refused() {
    let err = HttpCamera::new(
        "http://admin:pw123@10.0.0.5/snapshot.jpg",
        Auth::None,
        Duration::from_secs(1),
    )
    .expect_err("credentials in url");
    assert!(!err.to_string().contains("pw123"), "{err}");
    assert!(HttpCamera::new("ftp://x/s.jpg", Auth::None, Duration::from_secs(1)).is_err());
}

#[tokio::test]
async fn photo_gate_blocks_only_required_without_photo() {
    assert_eq!(photo_gate(PhotoPolicy::Optional, &[]), Gate::Allowed);
    let blocked = photo_gate(PhotoPolicy::Required, &[]);
    assert!(matches!(blocked, Gate::Blocked(_)), "{blocked:?}");
    if let Gate::Blocked(reason) = blocked {
        assert!(reason.to_string().contains("requires a photo"));
    }
    // A required photo blocking packed, then the photo taken via the simulated camera.
    let (_sim, running) = camera_sim(SimAuth::None, Faults::default()).await;
    let (_d, _s, photos) = open_store();
    assert!(matches!(
        photos.gate(PhotoPolicy::Required, ORDER).expect("gate"),
        Gate::Blocked(_)
    ));
    photos
        .take(&http(&running, Auth::None, 3000), ORDER, None, "b", None)
        .await
        .expect("taken");
    assert_eq!(
        photos.gate(PhotoPolicy::Required, ORDER).expect("gate"),
        Gate::Allowed
    );
    let list = photos.list(ORDER).expect("list");
    assert_eq!(photo_gate(PhotoPolicy::Required, &list), Gate::Allowed);
    assert_eq!(photo_gate(PhotoPolicy::Optional, &list), Gate::Allowed);
}

#[tokio::test]
async fn cli_finds_the_order_by_number() {
    let (_dir, store, photos) = open_store();
    let orders = packdesk::demo::generate(3, 2, Utc::now());
    store.import_orders(&orders).expect("imported");
    let order = orders.first().expect("an order");
    let (_sim, running) = camera_sim(SimAuth::None, Faults::default()).await;
    let r = photos
        .take(
            &http(&running, Auth::None, 3000),
            &order.key(),
            None,
            "b",
            None,
        )
        .await
        .expect("taken");
    let listed = run(
        &store,
        PhotosCmd::List {
            order: order.number.clone(),
        },
    )
    .expect("listed");
    assert!(listed.contains(&r.sha256), "{listed}");
    let out = tempfile::tempdir().expect("out");
    run(
        &store,
        PhotosCmd::Export {
            order: order.number.clone(),
            out: out.path().to_path_buf(),
        },
    )
    .expect("exported by number");
    let name = r.path.file_name().expect("name");
    assert_eq!(
        sha_hex(&std::fs::read(out.path().join(name)).expect("copied")),
        r.sha256
    );
    let err = run(
        &store,
        PhotosCmd::List {
            order: "no-such-order".into(),
        },
    )
    .expect_err("no photos");
    assert!(err.to_string().contains("no-such-order"), "{err}");
}
