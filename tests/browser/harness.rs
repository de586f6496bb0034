//! A real headless Chromium per test, driven over WebDriver by its own chromedriver.
//!
//! Each [`Browser`] starts `chromedriver` on a free loopback port in a process group of its own,
//! polls `/status` until it answers, opens one session with a fresh profile, and on drop ends the
//! whole group (chromedriver and the Chromium it started), so a failing test leaves nothing behind.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::runner::{find_chromium, find_program};

/// Flags that keep a test browser quiet, isolated and working as root in a container.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

/// How long chromedriver may take to answer its first `/status`.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);

/// The colour scheme a page is rendered in (`prefers-color-scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Light,
    Dark,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Light => "light",
            Scheme::Dark => "dark",
        }
    }
}

/// One chromedriver, one Chromium, one WebDriver session.
pub struct Browser {
    pub client: Client,
    chromedriver: Child,
    _profile: TempDir,
}

impl Browser {
    /// Starts a browser. The runner ignores browser tests where Chromium or chromedriver is not
    /// installed (unless `MEND_REQUIRE_BROWSER=1`), so a missing one here fails the test.
    pub async fn launch() -> Self {
        let (Some(driver), Some(chromium)) = (find_program(&["chromedriver"]), find_chromium())
        else {
            panic!(
                "chromedriver or chromium is not installed \
                 (Debian: apt-get install chromium chromium-driver)"
            )
        };
        let (mut driver_guard, url) = start_chromedriver(&driver).await;
        let profile = tempfile::tempdir().unwrap();
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities(&chromium, profile.path()))
            .connect(&url)
            .await
            .expect("open a WebDriver session");
        let chromedriver = driver_guard.0.take().unwrap();
        Self { client, chromedriver, _profile: profile }
    }

    /// Renders pages as if the system asked for `scheme`, checking that the page sees it.
    pub async fn use_scheme(&self, scheme: Scheme) {
        let features = json!([{ "name": "prefers-color-scheme", "value": scheme.name() }]);
        self.cdp("Emulation.setEmulatedMedia", json!({ "features": features })).await;
        let dark = self
            .client
            .execute("return matchMedia('(prefers-color-scheme: dark)').matches", vec![])
            .await
            .unwrap();
        assert_eq!(dark, json!(scheme == Scheme::Dark), "colour scheme emulation took effect");
    }

    /// Opens `url` and waits for it to load.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Saves a PNG of the whole page (not just the viewport) to
    /// `target/screenshots/<test>-<page>.png`, for people to look at when a test fails.
    pub async fn screenshot(&self, test: &str, page: &str) -> PathBuf {
        let size = self
            .client
            .execute(
                "const e = document.documentElement; \
                 return [Math.ceil(e.scrollWidth), Math.ceil(e.scrollHeight)];",
                vec![],
            )
            .await
            .unwrap();
        let clip = json!({ "x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1 });
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true, "clip": clip }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .unwrap();
        let path = screenshots_dir().join(format!("{test}-{page}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Clicks `target` and waits (with a deadline) until a fresh, fully loaded page replaces
    /// this one: the old document is marked first, so no check reads the page it left, and no
    /// next `open` races a form post still in flight (its cookie not yet set).
    pub async fn navigate_by(&self, target: fantoccini::Locator<'_>, what: &str) {
        self.client.execute("window.__mendOldPage = true;", vec![]).await.unwrap();
        let element = self.client.find(target).await;
        element.unwrap_or_else(|e| panic!("find {what}: {e}")).click().await.unwrap();
        let fresh =
            "return window.__mendOldPage === undefined && document.readyState === 'complete';";
        let wait = format!("clicking {what} to load a new page");
        crate::support::eventually(&wait, Duration::from_secs(20), || async {
            matches!(self.client.execute(fresh, vec![]).await, Ok(Value::Bool(true))).then_some(())
        })
        .await;
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.client.find(fantoccini::Locator::Css(css)).await;
        element.unwrap_or_else(|e| panic!("find {css}: {e}")).text().await.unwrap()
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        let result = self.client.issue_cmd(Cdp { cmd, params }).await;
        result.unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    /// Ends the session (Chromium exits) and stops chromedriver.
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.chromedriver);
    }
}

/// Ends chromedriver's process group if the launch fails half-way.
struct ChildGuard(Option<Child>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            kill_group(child);
        }
    }
}

/// chromedriver runs in a process group of its own (`process_group(0)`), which the Chromium it
/// starts joins: signalling the group ends both, even when the session was never closed.
fn kill_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts chromedriver on a free port and waits until it answers. The port is free when chosen
/// but another test may take it first, so a chromedriver that exits early is retried.
async fn start_chromedriver(driver: &Path) -> (ChildGuard, String) {
    for _attempt in 0..3 {
        let port = free_port();
        let chromedriver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let mut guard = ChildGuard(Some(chromedriver));
        let url = format!("http://127.0.0.1:{port}/");
        if wait_until_ready(&url, &mut guard).await {
            return (guard, url);
        }
    }
    panic!("chromedriver exited before it was ready, three times");
}

/// Polls chromedriver's `/status` until it answers (true) or the process exits (false).
async fn wait_until_ready(url: &str, driver: &mut ChildGuard) -> bool {
    let started = Instant::now();
    let client = reqwest::Client::new();
    loop {
        let status = client.get(format!("{url}status")).send().await;
        if status.is_ok_and(|response| response.status().is_success()) {
            return true;
        }
        if let Some(child) = &mut driver.0
            && let Ok(Some(_exit)) = child.try_wait()
        {
            return false;
        }
        assert!(started.elapsed() < STARTUP_DEADLINE, "chromedriver did not answer within 30 s");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn capabilities(chromium: &Path, profile: &Path) -> Capabilities {
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| arg.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let options = json!({ "binary": chromium, "args": args });
    let mut capabilities = Capabilities::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".into(), options);
    capabilities
}

/// A loopback port nobody is listening on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `target/screenshots`, next to the `debug/` folder this test binary was built into.
fn screenshots_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).expect("target dir above target/debug/deps/<test>");
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// chromedriver's `goog/cdp/execute` endpoint: any DevTools command, inside the session.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

impl Browser {
    /// Creates an author account and signs in through the sign-in form, so lesson pages
    /// (which need an enrolment or author preview) can be opened.
    pub async fn sign_in_as_author(&self, app: &crate::support::TestApp, email: &str) {
        self.sign_in_as(app, email, mend::domain::account::Role::Author).await;
    }

    /// Creates an account with `role` and signs this browser in through the sign-in form.
    pub async fn sign_in_as(
        &self,
        app: &crate::support::TestApp,
        email: &str,
        role: mend::domain::account::Role,
    ) {
        use fantoccini::Locator;
        app.signed_in_as(email, role).await;
        self.open(&format!("{}/account/sign-in", app.address)).await;
        let field = |id| self.client.find(Locator::Id(id));
        field("email").await.unwrap().send_keys(email).await.unwrap();
        field("password").await.unwrap().send_keys(crate::support::PASSWORD).await.unwrap();
        self.navigate_by(Locator::Css("main form button[type=submit]"), "sign in").await;
    }
}
