//! `beian serve` in a real browser (headless Chromium over WebDriver): a
//! unit's secretary fills the account form, sees the live check flag a bad
//! mobile, fixes it, previews and submits; the office signs in, approves and
//! prints; the unit downloads the filed PDF. Once at a desktop window, once
//! at a phone's 375×667, with screenshots of each step under
//! `target/browser-shots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the tests
//! say why and pass, unless `BEIAN_BROWSER_TESTS=1` (what `.ci/run` sets),
//! where a missing browser is a failure.

use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::util::root;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The longest any one wait may take: generous for a loaded CI machine,
/// short enough that a broken page fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(20);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(100);
/// The whole walk through the service, both sides, at one window size.
const WHOLE_FLOW: Duration = Duration::from_secs(240);
/// The live check answers after a 300 ms pause; the secretary should see the
/// problem about as soon as they leave the field.
const LIVE_CHECK: Duration = Duration::from_secs(3);

/// Chromium's switches for a closed network: without them it phones home
/// (component updates, sync, QUIC probes) and hangs waiting for answers.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

const OFFICE_USER: &str = "张老师";
const OFFICE_PASSWORD: &str = "office-pass-2026";

/// How a run looks at the service.
#[derive(Clone, Copy)]
enum Screen {
    Desktop,
    /// A phone's viewport. Headless Chromium never makes a window narrower
    /// than 500 px, so the phone is Chromium's device emulation: exactly
    /// 375×667 CSS pixels at a phone's pixel ratio, the page's viewport
    /// meta honoured as a phone honours it.
    Phone,
}

impl Screen {
    fn label(self) -> &'static str {
        match self {
            Screen::Desktop => "desktop",
            Screen::Phone => "phone",
        }
    }
}

#[test]
fn browser_desktop_a_secretary_files_and_the_office_approves_and_prints() {
    walk_through(Screen::Desktop);
}

#[test]
fn browser_phone_a_secretary_files_and_the_office_approves_and_prints() {
    walk_through(Screen::Phone);
}

/// Whether the browser is here: `None` (and a line saying so) when the test
/// should be skipped.
fn browser_or_skip() -> Option<()> {
    let required = std::env::var("BEIAN_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return Some(());
    }
    let what = missing.join(" and ");
    if required {
        panic!(
            "BEIAN_BROWSER_TESTS=1 but {what} is missing: apt-get install chromium chromium-driver"
        );
    }
    println!(
        "skipped: {what} not installed (apt-get install chromium chromium-driver; \
         BEIAN_BROWSER_TESTS=1 makes this a failure)"
    );
    None
}

/// One full walk at one screen size: the service and the browser are
/// started for it alone, so the two sizes run side by side and each starts
/// from an empty registry.
fn walk_through(screen: Screen) {
    if browser_or_skip().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut registry =
        beian::registry::Registry::open(dir.path().join("beian.db")).expect("open registry");
    let hash = beian::serve::auth::hash_password(OFFICE_PASSWORD).expect("hash password");
    registry
        .set_office_user(OFFICE_USER, &hash, chrono::Local::now().fixed_offset())
        .expect("set office user");
    // Started outside the test's runtime: the service runs its own.
    let running = beian::serve::start(
        registry,
        beian::serve::Options {
            listen: "127.0.0.1:0".parse().expect("address"),
            behind_proxy: false,
            limits: beian::serve::limit::Limits::default(),
            quiet: true,
        },
    )
    .expect("start the service");
    let base = format!("http://{}", running.addr);

    let driver = Driver::start();
    let shots = Shots::new(screen);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let profile = tempfile::tempdir().expect("profile dir");
        let client = driver.session(screen, profile.path()).await;
        // The walk runs as a task of its own so that, when it fails, the
        // page it failed on is still here to be photographed.
        let walk = tokio::spawn(walk(client.clone(), base.clone(), screen, shots.clone()));
        let failure = match tokio::time::timeout(WHOLE_FLOW, walk).await {
            Ok(Ok(())) => return client.close().await.expect("close the browser"),
            Ok(Err(e)) => e
                .try_into_panic()
                .map_err(|e| format!("the walk was cancelled: {e}")),
            Err(_) => Err(format!("the walk took over {WHOLE_FLOW:?}")),
        };
        let url = client.current_url().await.map(|u| u.to_string());
        println!("{}: failed on {url:?}", screen.label());
        shots.take_failure(&client).await;
        match failure {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(why) => panic!("{}: {why}", screen.label()),
        }
    });
    drop(driver);
    running.stop().expect("stop the service");
}

/// The walk itself: the unit, then the office, then the unit again.
async fn walk(c: Client, base: String, screen: Screen, shots: Shots) {
    let c = &c;
    let label = screen.label();
    let record = example_record();

    // The home page: the secretary picks the account form.
    c.goto(&format!("{base}/")).await.expect("open home");
    let new_account = wait_for(c, "a#new-account").await;
    check_layout(c, screen, "home").await;
    shots.take(c, "home").await;
    new_account.click().await.expect("click a#new-account");
    wait_for_path(c, "the account form", |p| p == "/new/account").await;
    wait_for(c, "form#record").await;
    check_layout(c, screen, "the account form").await;
    shots.take(c, "form").await;

    // Every field from examples/account.toml, except a mobile mistyped.
    for (path, value) in &record {
        if path == "principal.mobile" {
            continue;
        }
        fill(c, path, value).await;
    }
    let mobile = find_field(c, "principal.mobile").await;
    mobile.send_keys("1380000").await.expect("type mobile");
    mobile
        .send_keys(&char::from(fantoccini::key::Key::Tab).to_string())
        .await
        .expect("tab out of mobile");
    let shown = Instant::now();
    let problem = eventually_within(LIVE_CHECK, "the live check to flag 1380000", || async {
        let text = problem_text(c, "principal.mobile").await?;
        Ok(text.contains("不是11位手机号").then_some(text))
    })
    .await;
    println!(
        "{label}: live check said 「{problem}」 {:?} after leaving the field",
        shown.elapsed()
    );
    scroll_to(c, "[data-problem=\"principal.mobile\"]").await;
    shots.take(c, "bad-mobile").await;

    // Fixed: the problem goes, and no field has one left.
    let mobile = find_field(c, "principal.mobile").await;
    mobile.clear().await.expect("clear mobile");
    mobile.send_keys("13800000000").await.expect("type mobile");
    mobile
        .send_keys(&char::from(fantoccini::key::Key::Tab).to_string())
        .await
        .expect("tab out of mobile");
    eventually_within(LIVE_CHECK, "the mobile's problem to go", || async {
        Ok(problem_text(c, "principal.mobile")
            .await?
            .trim()
            .is_empty()
            .then_some(()))
    })
    .await;
    // One answer of the check fills every field's slot: none is left.
    let left = c
        .execute(
            "return [...document.querySelectorAll('[data-problem]')]\
             .filter(e => e.textContent.trim() !== '')\
             .map(e => e.dataset.problem + ': ' + e.textContent.trim());",
            vec![],
        )
        .await
        .expect("read the problems");
    assert_eq!(left, json!([]), "problems left on the filled form");
    scroll_to(c, "[data-problem=\"principal.mobile\"]").await;
    check_layout(c, screen, "the filled form").await;
    shots.take(c, "mobile-fixed").await;

    // Preview: a draft PDF in a new tab. The same fields posted here must
    // come back as a PDF too.
    let fields = c
        .execute(
            "return new URLSearchParams(new FormData(document.querySelector('form#record'))).toString();",
            vec![],
        )
        .await
        .expect("read the form");
    let fields = fields.as_str().expect("form fields").to_owned();
    assert!(
        fields.contains("form=account"),
        "the form posts form=account: {fields}"
    );
    let (status, kind, body) = post_form(&format!("{base}/preview"), &fields).await;
    assert_eq!(status, 200, "POST /preview");
    assert_eq!(kind, "application/pdf", "POST /preview");
    assert!(body.starts_with(b"%PDF"), "POST /preview is a PDF");
    let preview = wait_for(c, "button#preview").await;
    in_new_tab(c, &shots, "preview", || async { preview.click().await }).await;

    // Submit: the receipt, pending.
    wait_for(c, "button#submit")
        .await
        .click()
        .await
        .expect("click submit");
    let receipt = wait_for_path(c, "the receipt", |p| {
        p.strip_prefix("/r/")
            .is_some_and(|code| code.len() == 32 && code.bytes().all(|b| b.is_ascii_hexdigit()))
    })
    .await;
    let status = wait_for_text(c, "#status-1", "待审核").await;
    println!("{label}: receipt {receipt}: {status}");
    check_layout(c, screen, "the receipt").await;
    shots.take(c, "receipt-pending").await;

    // The office: signed out, sent to sign in.
    c.goto(&format!("{base}/office"))
        .await
        .expect("open /office");
    wait_for_path(c, "the office login", |p| p == "/office/login").await;
    wait_for(c, "input[name=user]")
        .await
        .send_keys(OFFICE_USER)
        .await
        .expect("type user");
    wait_for(c, "input[name=password]")
        .await
        .send_keys(OFFICE_PASSWORD)
        .await
        .expect("type password");
    check_layout(c, screen, "the office login").await;
    shots.take(c, "office-login").await;
    wait_for(c, "button#login-submit")
        .await
        .click()
        .await
        .expect("click login");
    wait_for_path(c, "the office queue", |p| p == "/office").await;
    let open = wait_for(c, "a.open-submission").await;
    check_layout(c, screen, "the office queue").await;
    shots.take(c, "office-queue").await;

    // Approve: the serial is assigned.
    open.click().await.expect("open the submission");
    wait_for_path(c, "the submission", |p| p.starts_with("/office/s/")).await;
    let approve = wait_for(c, "button#approve").await;
    check_layout(c, screen, "the submission").await;
    shots.take(c, "submission").await;
    // The draft beside the record, in Chrome's viewer inside the page.
    let draft = wait_for(c, "iframe.preview").await;
    scroll_to(c, "iframe.preview").await;
    eventually("the draft in the page to be painted", || async {
        Ok(paper_shown(&draft.screenshot().await?).then_some(()))
    })
    .await;
    shots.take(c, "submission-draft").await;
    approve.click().await.expect("click approve");
    // A confirmation, if the page asks for one, is what the office answers yes to.
    if c.get_alert_text().await.is_ok() {
        c.accept_alert().await.expect("accept the confirmation");
    }
    let serial = eventually("#serial to show the serial", || async {
        let text = match c.find(Locator::Css("#serial")).await {
            Ok(e) => e.text().await?,
            Err(e) if e.is_no_such_element() => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(find_serial(&text))
    })
    .await;
    assert!(
        serial.ends_with("-0001"),
        "the first filing of an empty registry: {serial}"
    );
    println!("{label}: approved as {serial}");
    scroll_to(c, "#serial").await;
    shots.take(c, "approved").await;

    // Print from the register: the filed form, in a new tab.
    c.goto(&format!("{base}/office/register"))
        .await
        .expect("open the register");
    let tick = wait_for(c, &format!("input[name=serial][value=\"{serial}\"]")).await;
    let source = c.source().await.expect("register source");
    assert!(source.contains(&serial), "the register lists {serial}");
    tick.click().await.expect("tick the serial");
    assert!(tick.is_selected().await.expect("ticked"), "{serial} ticked");
    check_layout(c, screen, "the register").await;
    shots.take(c, "register").await;
    let print = wait_for(c, "button#print-selected").await;
    in_new_tab(c, &shots, "print", || async { print.click().await }).await;

    // The unit again: filed, with the PDF to download.
    c.goto(&receipt).await.expect("back to the receipt");
    let status = wait_for_text(c, "#status-1", "已备案").await;
    assert!(
        status.contains(&serial),
        "the receipt shows {serial}: {status}"
    );
    let link = wait_for(c, "a#download-pdf-1").await;
    let href = link
        .prop("href")
        .await
        .expect("href")
        .expect("a#download-pdf-1 has an href");
    let response = reqwest::get(&href).await.expect("download the PDF");
    assert_eq!(response.status().as_u16(), 200, "GET {href}");
    let pdf = response.bytes().await.expect("PDF body");
    assert!(pdf.starts_with(b"%PDF"), "{href} is a PDF");
    scroll_to(c, "a#download-pdf-1").await;
    check_layout(c, screen, "the filed receipt").await;
    shots.take(c, "receipt-filed").await;
}

/// The fields of examples/account.toml as the form names them (dotted
/// paths) with the values the form posts (`true`/`false` for yes/no, dates
/// as written).
fn example_record() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("examples/account.toml")).expect("example");
    let table: toml::Table = text.parse().expect("example is TOML");
    let mut fields = Vec::new();
    flatten("", &toml::Value::Table(table), &mut fields);
    fields.retain(|(path, _)| path != "form");
    fields
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        toml::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// Types a text field, or clicks the radio button with that value.
async fn fill(c: &Client, path: &str, value: &str) {
    let radios = c
        .find_all(Locator::Css(&format!("input[type=radio][name=\"{path}\"]")))
        .await
        .expect("look for radios");
    if radios.is_empty() {
        let input = find_field(c, path).await;
        input.clear().await.expect("clear");
        input
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type {value} into {path}: {e}"));
        return;
    }
    let radio = c
        .find(Locator::Css(&format!(
            "input[type=radio][name=\"{path}\"][value=\"{value}\"]"
        )))
        .await
        .unwrap_or_else(|e| panic!("{path} has no choice {value}: {e}"));
    radio
        .click()
        .await
        .unwrap_or_else(|e| panic!("choose {value} for {path}: {e}"));
    assert!(
        radio.is_selected().await.expect("is_selected"),
        "{path} = {value} chosen"
    );
}

async fn find_field(c: &Client, path: &str) -> fantoccini::elements::Element {
    wait_for(c, &format!("[name=\"{path}\"]")).await
}

/// The problem shown under a field, as the secretary reads it.
async fn problem_text(c: &Client, path: &str) -> Result<String, CmdError> {
    c.find(Locator::Css(&format!("[data-problem=\"{path}\"]")))
        .await?
        .text()
        .await
}

/// Clicks something that opens a new tab (the preview, the print), checks
/// the tab holds a PDF, photographs it and closes it.
async fn in_new_tab<F, Fut>(c: &Client, shots: &Shots, step: &str, click: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), CmdError>>,
{
    let main = c.window().await.expect("current window");
    let before = c.windows().await.expect("windows");
    click()
        .await
        .unwrap_or_else(|e| panic!("click for the {step} tab: {e}"));
    let tab = eventually(&format!("the {step} tab to open"), || async {
        let now = c.windows().await?;
        Ok(now.into_iter().find(|w| !before.contains(w)))
    })
    .await;
    c.switch_to_window(tab).await.expect("switch to the tab");
    let kind = eventually(&format!("the {step} tab to load"), || async {
        let state = c
            .execute(
                "return [document.readyState, document.contentType, location.href];",
                vec![],
            )
            .await?;
        Ok((state[0] == "complete" && state[2] != "about:blank").then_some(state))
    })
    .await;
    assert_eq!(
        kind[1], "application/pdf",
        "the {step} tab shows a PDF: {kind}"
    );
    // Chrome's viewer paints the pages after the load: wait for paper.
    eventually(&format!("the {step} PDF to be painted"), || async {
        let png = c.screenshot().await?;
        Ok(paper_shown(&png).then_some(()))
    })
    .await;
    shots.take(c, step).await;
    c.close_window().await.expect("close the tab");
    c.switch_to_window(main).await.expect("back to the page");
}

/// Whether a screenshot of Chrome's PDF viewer shows a page: a tenth of it
/// white paper on the viewer's dark grey.
fn paper_shown(png: &[u8]) -> bool {
    let shot = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("a screenshot is a PNG")
        .to_rgb8();
    let white = shot.pixels().filter(|p| p.0 == [255, 255, 255]).count();
    white * 10 > shot.pixels().len()
}

/// Posts a form as a browser would, returning the status, content type and
/// body.
async fn post_form(url: &str, fields: &str) -> (u16, String, Vec<u8>) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields.to_owned())
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response.bytes().await.expect("body").to_vec();
    (status, kind, body)
}

/// `XMT-dddd-dddd` in a text.
fn find_serial(text: &str) -> Option<String> {
    text.match_indices("XMT-").find_map(|(at, _)| {
        let s = text.get(at..at + 13)?;
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        (digits(4..8) && b[8] == b'-' && digits(9..13)).then(|| s.to_owned())
    })
}

/// Checks the page fits its screen: the page itself never scrolls sideways
/// (a box of its own that scrolls, like a wide table on a phone, is told but
/// allowed), and no text is smaller than a phone can read.
async fn check_layout(c: &Client, screen: Screen, page: &str) {
    let found = c
        .execute(
            r#"
            const width = document.documentElement.clientWidth;
            const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + (typeof e.className === 'string' && e.className.trim()
                    ? '.' + e.className.trim().split(/\s+/).join('.') : '');
            const scroller = e => {
                for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
                    if (getComputedStyle(a).overflowX !== 'visible') return a;
                }
                return null;
            };
            const shown = [...document.body.querySelectorAll('*')]
                .filter(e => e.getClientRects().length > 0);
            const wide = [], scrolls = new Set();
            for (const e of shown) {
                const right = e.getBoundingClientRect().right;
                if (right <= width + 1) continue;
                const box = scroller(e);
                if (box && box.getBoundingClientRect().right <= width + 1) scrolls.add(name(box));
                else wide.push(name(e) + ' right=' + Math.round(right));
            }
            let smallest = 1e9, where = '';
            for (const e of shown) {
                const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
                if (!own) continue;
                const size = parseFloat(getComputedStyle(e).fontSize);
                if (size < smallest) {
                    smallest = size;
                    where = name(e) + ' ' + e.textContent.trim().slice(0, 20);
                }
            }
            return {
                width, scroll: document.documentElement.scrollWidth,
                wide: wide.slice(0, 5), scrolls: [...scrolls], smallest, where,
            };
            "#,
            vec![],
        )
        .await
        .expect("measure the page");
    let label = screen.label();
    let width = found["width"].as_f64().unwrap_or(0.0);
    let scroll = found["scroll"].as_f64().unwrap_or(f64::MAX);
    assert!(
        scroll <= width + 1.0 && found["wide"] == json!([]),
        "{label}: {page} is wider than the window ({width} px): {found}"
    );
    if found["scrolls"] != json!([]) {
        println!(
            "{label}: {page} scrolls sideways inside {}",
            found["scrolls"]
        );
    }
    let smallest = found["smallest"].as_f64().unwrap_or(0.0);
    assert!(
        smallest >= 12.0,
        "{label}: {page} has text of {smallest} px: {found}"
    );
}

/// Scrolls an element to the middle of the window, for the photograph.
async fn scroll_to(c: &Client, css: &str) {
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
        vec![Value::from(css)],
    )
    .await
    .unwrap_or_else(|e| panic!("scroll to {css}: {e}"));
}

/// The element, once it is on the page.
async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(WAIT)
        .every(POLL)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| {
            panic!("waited {WAIT:?} for {css}: {e}");
        })
}

/// The element's text, once it contains `wanted`.
async fn wait_for_text(c: &Client, css: &str, wanted: &str) -> String {
    eventually(&format!("{css} to say {wanted}"), || async {
        let text = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await?,
            Err(e) if e.is_no_such_element() => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(text.contains(wanted).then_some(text))
    })
    .await
}

/// The address, once the browser is on a page whose path passes `test`.
async fn wait_for_path(c: &Client, what: &str, test: impl Fn(&str) -> bool) -> String {
    eventually(&format!("{what} to load"), || async {
        let url = c.current_url().await?;
        let ready = c.execute("return document.readyState;", vec![]).await?;
        Ok((test(url.path()) && ready == "complete").then(|| url.to_string()))
    })
    .await
}

/// Asks `probe` until it answers, at most [`WAIT`].
async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, CmdError>>,
{
    eventually_within(WAIT, what, probe).await
}

/// Asks `probe` until it answers, at most `limit`; a WebDriver error is
/// remembered and told if the answer never comes.
async fn eventually_within<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, CmdError>>,
{
    let deadline = Instant::now() + limit;
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(Some(answer)) => return answer,
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if Instant::now() >= deadline {
            match last_error {
                Some(e) => panic!("waited {limit:?} for {what}; last error: {e}"),
                None => panic!("waited {limit:?} for {what}"),
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Where one run's screenshots go: `target/browser-shots/<screen>-NN-<step>.png`
/// (under `$CARGO_TARGET_DIR` when that is set), numbered in the order taken.
#[derive(Clone)]
struct Shots {
    dir: PathBuf,
    screen: Screen,
    taken: Arc<AtomicU32>,
}

impl Shots {
    /// Clears the run's old screenshots, so none from an earlier run is
    /// mistaken for this one's.
    fn new(screen: Screen) -> Shots {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| root().join("target"), PathBuf::from);
        let dir = target.join("browser-shots");
        std::fs::create_dir_all(&dir).expect("create target/browser-shots");
        let prefix = format!("{}-", screen.label());
        for entry in std::fs::read_dir(&dir).expect("read target/browser-shots") {
            let path = entry.expect("dir entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with(&prefix) && name.ends_with(".png") {
                std::fs::remove_file(&path).expect("remove an old screenshot");
            }
        }
        Shots {
            dir,
            screen,
            taken: Arc::new(AtomicU32::new(0)),
        }
    }

    fn path(&self, n: u32, step: &str) -> PathBuf {
        self.dir
            .join(format!("{}-{n:02}-{step}.png", self.screen.label()))
    }

    /// Saves what the window shows, and checks it is the screen's width and
    /// not an empty page.
    async fn take(&self, c: &Client, step: &str) {
        let n = self.taken.fetch_add(1, Ordering::Relaxed) + 1;
        let path = self.path(n, step);
        let png = c
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()));
        std::fs::write(&path, &png).expect("write screenshot");
        let shot = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
            .expect("a screenshot is a PNG")
            .to_rgb8();
        let width = match self.screen {
            Screen::Desktop => 1280,
            Screen::Phone => 375 * 2,
        };
        assert_eq!(
            shot.width(),
            width,
            "{} is the window's width",
            path.display()
        );
        let background = shot.get_pixel(0, shot.height() - 1);
        let ink = shot.pixels().filter(|p| *p != background).count();
        assert!(
            ink * 1000 > shot.pixels().len(),
            "{} is an empty page",
            path.display()
        );
    }

    /// The page a walk failed on, if the browser can still show it: the
    /// failure is told either way.
    async fn take_failure(&self, c: &Client) {
        let path = self.path(99, "failed");
        match c.screenshot().await {
            Ok(png) => {
                std::fs::write(&path, png).expect("write screenshot");
                println!("the page it failed on: {}", path.display());
            }
            Err(e) => println!("no screenshot {}: {e}", path.display()),
        }
    }
}

/// chromedriver on a port of its own, killed with every browser it started
/// when dropped, also when the test panics.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // A process group of its own: Chromium's processes are its
            // children and grandchildren, and all go with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {CHROMEDRIVER}: {e}"));
        let mut driver = Driver { child, port };
        let deadline = Instant::now() + WAIT;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&addr, POLL).is_err() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("{CHROMEDRIVER} --port={port} exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "{CHROMEDRIVER} did not listen on {port} within {WAIT:?}"
            );
            std::thread::sleep(POLL);
        }
        driver
    }

    /// A browser session at the screen's size, its profile in `profile`.
    async fn session(&self, screen: Screen, profile: &Path) -> Client {
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push("--window-size=1280,900".into());
        let mut options = json!({
            "binary": CHROMIUM,
            "args": args,
            // The preview and the print open PDFs: shown in the tab, and any
            // download lands in the throwaway profile, not in ~/Downloads.
            "prefs": {
                "download.default_directory": profile.join("downloads"),
                "download.prompt_for_download": false,
                "plugins.always_open_pdf_externally": false,
            },
        });
        if let Screen::Phone = screen {
            options["mobileEmulation"] =
                json!({ "deviceMetrics": { "width": 375, "height": 667, "pixelRatio": 2.0 } });
        }
        let capabilities = json!({
            "goog:chromeOptions": options,
            // No command may hang the test: a page that never loads fails.
            "timeouts": { "pageLoad": 30_000, "script": 30_000, "implicit": 0 },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let connect = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await;
        connect.unwrap_or_else(|e| panic!("start {CHROMIUM} through {CHROMEDRIVER}: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver, and any Chromium a failed test
        // left open.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
