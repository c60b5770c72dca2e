//! A simulated IP camera: `GET /snapshot.jpg` answers a fresh JPEG (a frame counter drawn
//! as blocks, so every picture differs), behind no auth, HTTP Basic, or HTTP Digest
//! (RFC 7616, MD5 or SHA-256, `qop="auth"`, nonces it issued, nonce counts that must
//! grow; [`CameraSim::new_offering_more`] also offers Basic and MD5 in further
//! `WWW-Authenticate` headers, as many cameras do), with the injected [`Faults`] (latency, 503, answers that never come).
//!
//! The Digest check is written here independently of the client's crate, so a test
//! through it checks the client's computation.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use md5::Md5;
use sha2::{Digest, Sha256};

use crate::sim::{FaultDice, Faults, Running, serve};

/// The realm the camera announces.
pub const REALM: &str = "packdesk-camera";
/// Width and height of a snapshot.
pub const SIZE: (u32, u32) = (320, 240);

/// The Digest hash the camera asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// `algorithm=MD5` (what most cameras send).
    Md5,
    /// `algorithm=SHA-256`.
    Sha256,
}

impl DigestAlgorithm {
    fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    fn hash(self, data: &str) -> String {
        match self {
            DigestAlgorithm::Md5 => hex::encode(Md5::digest(data.as_bytes())),
            DigestAlgorithm::Sha256 => hex::encode(Sha256::digest(data.as_bytes())),
        }
    }
}

/// How the simulated camera checks its callers.
#[derive(Clone, PartialEq, Eq)]
pub enum SimAuth {
    /// Anyone gets a picture.
    None,
    /// HTTP Basic.
    Basic {
        /// User.
        user: String,
        /// Password.
        pass: String,
    },
    /// HTTP Digest.
    Digest {
        /// User.
        user: String,
        /// Password.
        pass: String,
        /// Hash asked for in the challenge.
        algorithm: DigestAlgorithm,
    },
}

impl std::fmt::Debug for SimAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimAuth::None => f.write_str("None"),
            SimAuth::Basic { user, .. } => write!(f, "Basic({user})"),
            SimAuth::Digest {
                user, algorithm, ..
            } => write!(f, "Digest({user}, {})", algorithm.name()),
        }
    }
}

struct Inner {
    auth: SimAuth,
    faults: Faults,
    dice: FaultDice,
    seed: u64,
    requests: AtomicU64,
    served: AtomicU64,
    unauthorized: AtomicU64,
    /// Also offer Basic and Digest MD5 challenges (before the configured one).
    extra_challenges: bool,
    /// Issued nonces and the highest nonce count seen for each.
    nonces: Mutex<HashMap<String, u64>>,
    /// The algorithm of the last accepted Digest answer.
    last_algorithm: Mutex<Option<DigestAlgorithm>>,
}

/// The simulated camera's handle: run it, read back what it did.
#[derive(Clone)]
pub struct CameraSim {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CameraSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSim")
            .field("auth", &self.inner.auth)
            .field("served", &self.served())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl CameraSim {
    /// A camera with this auth and these faults; `seed` makes faults and nonces
    /// reproducible.
    pub fn new(auth: SimAuth, faults: Faults, seed: u64) -> CameraSim {
        CameraSim {
            inner: Arc::new(Inner {
                auth,
                faults,
                dice: FaultDice::new(seed),
                seed,
                requests: AtomicU64::new(0),
                served: AtomicU64::new(0),
                unauthorized: AtomicU64::new(0),
                extra_challenges: false,
                nonces: Mutex::new(HashMap::new()),
                last_algorithm: Mutex::new(None),
            }),
        }
    }

    /// Like [`CameraSim::new`], but a Digest camera also offers Basic and Digest MD5 (in
    /// separate `WWW-Authenticate` headers, before its configured algorithm) and accepts
    /// all of them, as many real cameras do.
    pub fn new_offering_more(auth: SimAuth, faults: Faults, seed: u64) -> CameraSim {
        let mut sim = CameraSim::new(auth, faults, seed);
        if let Some(inner) = Arc::get_mut(&mut sim.inner) {
            inner.extra_challenges = true;
        }
        sim
    }

    /// The algorithm of the last accepted Digest answer.
    pub fn last_digest_algorithm(&self) -> Option<DigestAlgorithm> {
        *lock(&self.inner.last_algorithm)
    }

    /// The routes: `GET /snapshot.jpg`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/snapshot.jpg", get(snapshot))
            .with_state(self.inner.clone())
    }

    /// Serves on 127.0.0.1 (`port` 0: any free port); `base_url` is the server root.
    pub async fn start(&self, port: u16) -> std::io::Result<Running> {
        serve("camera", self.router(), port, "").await
    }

    /// Requests received, refused ones included.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Pictures sent.
    pub fn served(&self) -> u64 {
        self.inner.served.load(Ordering::Relaxed)
    }

    /// 401 answers sent (challenges and refused credentials).
    pub fn unauthorized_count(&self) -> u64 {
        self.inner.unauthorized.load(Ordering::Relaxed)
    }
}

/// The parameters of an `Authorization: Digest …` header (quoted or token values).
fn parse_digest_params(value: &str) -> Option<HashMap<String, String>> {
    let rest = value.trim().strip_prefix("Digest")?.trim_start();
    let mut out = HashMap::new();
    let mut s = rest;
    loop {
        s = s.trim_start_matches([' ', ',', '\t']);
        if s.is_empty() {
            return Some(out);
        }
        let eq = s.find('=')?;
        let name = s.get(..eq)?.trim().to_ascii_lowercase();
        s = s.get(eq + 1..)?.trim_start();
        let val;
        if let Some(q) = s.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => v.push(c),
                }
            }
            s = q.get(end?..)?;
            val = v;
        } else {
            let end = s.find(',').unwrap_or(s.len());
            val = s.get(..end)?.trim().to_string();
            s = s.get(end..)?;
        }
        out.insert(name, val);
    }
}

/// The Digest algorithms the camera offers, in the order of its challenges.
fn offered(inner: &Inner, configured: DigestAlgorithm) -> Vec<DigestAlgorithm> {
    if inner.extra_challenges && configured != DigestAlgorithm::Md5 {
        vec![DigestAlgorithm::Md5, configured]
    } else {
        vec![configured]
    }
}

fn unauthorized(inner: &Inner) -> Response {
    inner.unauthorized.fetch_add(1, Ordering::Relaxed);
    let mut challenges = Vec::new();
    match &inner.auth {
        SimAuth::None => {}
        SimAuth::Basic { .. } => challenges.push(format!("Basic realm=\"{REALM}\"")),
        SimAuth::Digest { algorithm, .. } => {
            if inner.extra_challenges {
                challenges.push(format!("Basic realm=\"{REALM}\""));
            }
            let n = inner.requests.load(Ordering::Relaxed);
            let nonce = hex::encode(Sha256::digest(format!(
                "{}:{n}:{:?}",
                inner.seed,
                std::time::SystemTime::now()
            )));
            lock(&inner.nonces).insert(nonce.clone(), 0);
            let opaque = hex::encode(Md5::digest(REALM.as_bytes()));
            for a in offered(inner, *algorithm) {
                challenges.push(format!(
                    "Digest realm=\"{REALM}\", qop=\"auth\", algorithm={}, nonce=\"{nonce}\", opaque=\"{opaque}\"",
                    a.name()
                ));
            }
        }
    }
    let mut r = (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    for c in challenges {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::WWW_AUTHENTICATE, v);
        }
    }
    r
}

fn basic_ok(value: &str, user: &str, pass: &str) -> bool {
    value
        .strip_prefix("Basic ")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .is_some_and(|d| d == format!("{user}:{pass}").as_bytes())
}

fn authorized(inner: &Inner, method: &Method, uri: &str, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match (&inner.auth, given) {
        (SimAuth::None, _) => true,
        (_, None) => false,
        (SimAuth::Basic { user, pass }, Some(v)) => basic_ok(v, user, pass),
        (SimAuth::Digest { user, pass, .. }, Some(v))
            if inner.extra_challenges && v.starts_with("Basic ") =>
        {
            basic_ok(v, user, pass)
        }
        (
            SimAuth::Digest {
                user,
                pass,
                algorithm,
            },
            Some(v),
        ) => {
            let Some(p) = parse_digest_params(v) else {
                return false;
            };
            let field = |k: &str| p.get(k).map(String::as_str).unwrap_or_default();
            // No algorithm parameter means MD5 (RFC 7616 §3.3).
            let used = offered(inner, *algorithm).into_iter().find(|a| {
                p.get("algorithm").map_or(*a == DigestAlgorithm::Md5, |x| {
                    x.eq_ignore_ascii_case(a.name())
                })
            });
            let Some(algorithm) = used else {
                return false;
            };
            if field("username") != user
                || field("realm") != REALM
                || field("uri") != uri
                || field("qop") != "auth"
            {
                return false;
            }
            let Ok(nc) = u64::from_str_radix(field("nc"), 16) else {
                return false;
            };
            let nonce = field("nonce");
            let ha1 = algorithm.hash(&format!("{user}:{REALM}:{pass}"));
            let ha2 = algorithm.hash(&format!("{method}:{uri}"));
            let expected = algorithm.hash(&format!(
                "{ha1}:{nonce}:{}:{}:auth:{ha2}",
                field("nc"),
                field("cnonce")
            ));
            if field("response") != expected {
                return false;
            }
            // The nonce must be ours and its count must grow (no replays).
            let mut nonces = lock(&inner.nonces);
            match nonces.get_mut(nonce) {
                Some(last) if nc > *last => {
                    *last = nc;
                    *lock(&inner.last_algorithm) = Some(algorithm);
                    true
                }
                _ => false,
            }
        }
    }
}

/// A JPEG with a gradient that moves and frame number `n` drawn as 16 blocks (white = 1).
pub fn render_snapshot(n: u64) -> Result<Vec<u8>, image::ImageError> {
    let (w, h) = SIZE;
    let shift = (n % 256) as u32;
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            ((x + shift) % 256) as u8,
            ((y * 255) / h.max(1)) as u8,
            ((x + y + shift * 3) % 256) as u8,
        ])
    });
    let block = 16;
    for bit in 0..16u32 {
        let on = (n >> (15 - bit)) & 1 == 1;
        let colour = if on {
            Rgb([255, 255, 255])
        } else {
            Rgb([0, 0, 0])
        };
        let x0 = 16 + bit * (block + 2);
        for y in h - 40..h - 40 + block {
            for x in x0..x0 + block {
                if x < w && y < h {
                    img.put_pixel(x, y, colour);
                }
            }
        }
    }
    let mut out = Cursor::new(Vec::new());
    JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img)?;
    Ok(out.into_inner())
}

async fn snapshot(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    inner.requests.fetch_add(1, Ordering::Relaxed);
    if !inner.faults.latency.is_zero() {
        tokio::time::sleep(inner.faults.latency).await;
    }
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    if !authorized(&inner, req.method(), &uri, req.headers()) {
        return unauthorized(&inner);
    }
    let roll = inner.dice.roll();
    if roll < inner.faults.error_rate {
        return (StatusCode::SERVICE_UNAVAILABLE, "camera busy").into_response();
    }
    if roll < inner.faults.error_rate + inner.faults.timeout_rate {
        // The answer never comes: the client times out.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let n = inner.served.fetch_add(1, Ordering::Relaxed) + 1;
    match render_snapshot(n) {
        Ok(jpeg) => ([(header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "simulated camera cannot encode a JPEG");
            (StatusCode::INTERNAL_SERVER_ERROR, "encoder failed").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_header_parsing_handles_quotes_and_tokens() {
        let p = parse_digest_params(
            r#"Digest username="a\"b", realm="r", nc=00000001, qop=auth, uri="/s.jpg?x=1,2""#,
        )
        .expect("parses");
        assert_eq!(p.get("username").map(String::as_str), Some("a\"b"));
        assert_eq!(p.get("nc").map(String::as_str), Some("00000001"));
        assert_eq!(p.get("qop").map(String::as_str), Some("auth"));
        assert_eq!(p.get("uri").map(String::as_str), Some("/s.jpg?x=1,2"));
        assert!(parse_digest_params("Basic abc").is_none());
        assert!(parse_digest_params("Digest username=\"open").is_none());
    }

    #[test]
    fn rfc_7616_example_response_md5_and_sha256() {
        // RFC 7616 §3.9.1: Mufasa / Circle of Life.
        let realm = "http-auth@example.org";
        let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        let uri = "/dir/index.html";
        let resp = |a: DigestAlgorithm| {
            let ha1 = a.hash(&format!("Mufasa:{realm}:Circle of Life"));
            let ha2 = a.hash(&format!("GET:{uri}"));
            a.hash(&format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"))
        };
        assert_eq!(
            resp(DigestAlgorithm::Md5),
            "8ca523f5e9506fed4657c9700eebdbec"
        );
        assert_eq!(
            resp(DigestAlgorithm::Sha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn snapshots_are_jpegs_and_differ() {
        let a = render_snapshot(1).expect("jpeg");
        let b = render_snapshot(2).expect("jpeg");
        assert_eq!(a.get(..3), Some(&[0xFF, 0xD8, 0xFF][..]));
        assert_ne!(a, b);
        let img =
            image::load_from_memory_with_format(&a, image::ImageFormat::Jpeg).expect("decodes");
        assert_eq!((img.width(), img.height()), SIZE);
    }
}
