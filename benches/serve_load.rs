//! `beian serve` under load, on loopback: the latency of `/api/check` and
//! `/api/preview` while fifty units submit at once.
//!
//!     cargo build --release
//!     cargo bench --bench serve_load [-- SECONDS]
//!
//! Builds nothing itself: runs the release binary named by the environment
//! variable `BEIAN` (default `target/release/beian`) as
//! `beian --registry <tmp>/beian.db serve --listen 127.0.0.1:<free port>`,
//! its request log (stderr) to a file in the same temporary directory (or
//! to the file named by `SERVE_LOAD_LOG`, kept: the server's own time for
//! each request), and waits for it to answer `/`. Then:
//!
//! 1. baseline, one client, nothing else running: 10 submissions, then
//!    60 rounds of check (valid record), preview (valid → the PDF), check
//!    (invalid: principal's mobile "1380000"), preview (invalid → 422),
//!    after two rounds of warm-up that are not counted;
//! 2. saturation: 50 clients (tokio tasks, each its own `reqwest::Client`,
//!    its own keep-alive connection and its own loopback address
//!    127.0.0.(10+i)) released together by a barrier; each submits one
//!    record (a different `account.name`/`account.id`) and then repeats the
//!    four requests above back to back for SECONDS (default 10, at most
//!    20), so that the first previews run while the last submissions are
//!    being stored. Fifty requests are always in flight: latency here is
//!    mostly the queue (Little's law: 50 ÷ throughput);
//! 3. the page's pace: the same, but after submitting each client sends one
//!    of the four requests every 300 ms (the pause after which the page's
//!    script checks what is typed: the fastest a person's browser asks),
//!    the clients' ticks spread over those 300 ms.
//!
//! Every request's latency is taken from sending it to the last byte of the
//! answer, and every answer is checked (status; `ok` of a check; a preview
//! is a PDF or 422); unexpected answers are counted as errors (the bench
//! then exits 1). At the end, every receipt must be distinct and hold
//! exactly one submission. Printed per phase and endpoint: count, errors,
//! p50/p95/p99/max (nearest rank) and requests a second; the server's peak
//! RSS (`VmHWM` of /proc/PID/status, read before it is stopped: the figure
//! `/usr/bin/time -v` reports as "Maximum resident set size") after the
//! baseline and after each phase, its CPU time in each phase (cores used)
//! and its threads, this client's own CPU time and that of every other
//! process (the machine is shared: the noise).
//! Last, one JSON line (`SUMMARY {...}`) for scripts.
//!
//! Rate limits: by default the service allows each client address 300
//! checks and 30 submissions a minute, which this run exceeds. The server
//! is started with `BEIAN_RATE_LIMITS=1000000,1000000,1000000` (logins,
//! submissions, checks a minute; the same as `serve --limits`) so that it
//! refuses none; a 429 is reported as an error with a hint.
//!
//! Bounded: startup waits at most 10 s, every request at most 15 s, and a
//! watchdog ends the whole run (server included) after 60 s. The server is
//! killed when the run ends, however it ends (a drop guard, and the
//! watchdog).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CLIENTS: usize = 50;
const BASELINE_ROUNDS: usize = 60;
const BASELINE_WARMUP: usize = 2;
const BASELINE_SUBMISSIONS: usize = 10;
const DEFAULT_SECONDS: u64 = 10;
/// The page checks once typing pauses for 300 ms (src/serve/assets/app.js):
/// the fastest a person's browser asks.
const PACE: Duration = Duration::from_millis(300);
const WHOLE_RUN: Duration = Duration::from_secs(60);
const STARTUP: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// What the server is asked to allow (logins, submissions, checks a minute).
const LIMITS_VAR: &str = "BEIAN_RATE_LIMITS";
const LIMITS: &str = "1000000,1000000,1000000";
/// Linux reports /proc times in USER_HZ, 100 a second on every architecture
/// this runs on.
const TICKS: f64 = 100.0;

/// The server process: killed by [`stop_server`], which the drop guard,
/// [`fail`] and the watchdog call.
static SERVER: Mutex<Option<Child>> = Mutex::new(None);

fn stop_server() {
    let mut slot = SERVER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(mut child) = slot.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Kills the server when dropped (the end of `main`, or a panic).
struct Server {
    pid: u32,
}

impl Drop for Server {
    fn drop(&mut self) {
        stop_server();
    }
}

fn fail(message: &str) -> ! {
    stop_server();
    eprintln!("serve_load: {message}");
    std::process::exit(2);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Submit,
    CheckValid,
    CheckInvalid,
    PreviewValid,
    PreviewInvalid,
}

/// One request: what it was, how long it took, whether the answer was right
/// (and if not, its status).
#[derive(Clone, Copy)]
struct Sample {
    kind: Kind,
    took: Duration,
    error: Option<u16>,
}

fn account(name: &str, id: &str, mobile: &str) -> Value {
    json!({
        "form": "account",
        "unit": "信息工程系",
        "account": {
            "platform": "微信",
            "name": name,
            "id": id,
            "verified": true,
            "opened": "2019-09-01",
            "interactive": true,
            "interactive_reviewed": true
        },
        "principal": {
            "name": "张三", "title": "系主任", "mobile": mobile,
            "office_phone": "0553-5971011", "email": "zhangsan@example.edu.cn"
        },
        "admin": {
            "name": "李四", "title": "团总支书记", "mobile": "13900000000",
            "office_phone": "0553-5971012", "email": "lisi@example.edu.cn"
        }
    })
}

/// The bodies a client sends: its valid record and an invalid one.
struct Bodies {
    valid: Vec<u8>,
    invalid: Vec<u8>,
}

impl Bodies {
    fn new(name: &str, id: &str) -> Bodies {
        Bodies {
            valid: serde_json::to_vec(&account(name, id, "13800000000")).unwrap_or_default(),
            invalid: serde_json::to_vec(&account(name, id, "1380000")).unwrap_or_default(),
        }
    }
}

fn client(local: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap_or_else(|e| fail(&format!("no HTTP client: {e}")))
}

/// Sends one request and checks its answer. Returns the receipt of a
/// submission.
async fn request(
    http: &reqwest::Client,
    base: &str,
    kind: Kind,
    body: &[u8],
) -> (Sample, Option<String>) {
    let path = match kind {
        Kind::Submit => "/api/submissions",
        Kind::CheckValid | Kind::CheckInvalid => "/api/check",
        Kind::PreviewValid | Kind::PreviewInvalid => "/api/preview",
    };
    let started = Instant::now();
    let sent = http
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await;
    let (status, bytes) = match sent {
        Ok(res) => {
            let status = res.status().as_u16();
            match res.bytes().await {
                Ok(b) => (status, b),
                Err(_) => (0, Default::default()),
            }
        }
        Err(_) => (0, Default::default()),
    };
    let took = started.elapsed();
    let json = || serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
    let mut receipt = None;
    let right = match kind {
        Kind::Submit => {
            receipt = json()["receipt"].as_str().map(str::to_owned);
            status == 201 && receipt.is_some()
        }
        Kind::CheckValid => status == 200 && json()["ok"] == json!(true),
        Kind::CheckInvalid => status == 200 && json()["ok"] == json!(false),
        Kind::PreviewValid => status == 200 && bytes.starts_with(b"%PDF-"),
        Kind::PreviewInvalid => status == 422,
    };
    let error = (!right).then_some(if status == 0 { 1 } else { status });
    (Sample { kind, took, error }, receipt)
}

/// One round: check and preview, a valid record then an invalid one.
async fn round(http: &reqwest::Client, base: &str, bodies: &Bodies, out: &mut Vec<Sample>) {
    for (kind, body) in [
        (Kind::CheckValid, &bodies.valid),
        (Kind::PreviewValid, &bodies.valid),
        (Kind::CheckInvalid, &bodies.invalid),
        (Kind::PreviewInvalid, &bodies.invalid),
    ] {
        out.push(request(http, base, kind, body).await.0);
    }
}

/// `name: value kB` of /proc/PID/status, in MiB.
fn status_mib(pid: u32, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn threads(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with("Threads:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// User + system CPU seconds of a process (`self` or a pid).
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // After the command name's closing parenthesis: state is field 3,
    // utime 14, stime 15.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (tick(11) + tick(12)) / TICKS
}

/// CPU seconds the whole machine spent busy (every process, every core).
fn machine_busy_seconds() -> f64 {
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return f64::NAN;
    };
    let Some(line) = text.lines().next() else {
        return f64::NAN;
    };
    // cpu user nice system idle iowait irq softirq steal ...
    let t: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse().ok())
        .collect();
    if t.len() < 8 {
        return f64::NAN;
    }
    (t.iter().sum::<f64>() - t[3] - t[4]) / TICKS
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Row {
    name: &'static str,
    count: usize,
    errors: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    rate: f64,
}

fn rows(samples: &[Sample], wall: Duration) -> Vec<Row> {
    let groups: [(&str, &[Kind]); 7] = [
        ("submissions", &[Kind::Submit]),
        ("check", &[Kind::CheckValid, Kind::CheckInvalid]),
        ("  check, valid", &[Kind::CheckValid]),
        ("  check, invalid", &[Kind::CheckInvalid]),
        ("preview", &[Kind::PreviewValid, Kind::PreviewInvalid]),
        ("  preview, valid (PDF)", &[Kind::PreviewValid]),
        ("  preview, invalid (422)", &[Kind::PreviewInvalid]),
    ];
    groups
        .iter()
        .map(|(name, kinds)| {
            let chosen: Vec<&Sample> = samples.iter().filter(|s| kinds.contains(&s.kind)).collect();
            let mut t: Vec<f64> = chosen.iter().map(|s| ms(s.took)).collect();
            t.sort_by(f64::total_cmp);
            Row {
                name,
                count: t.len(),
                errors: chosen.iter().filter(|s| s.error.is_some()).count(),
                p50: percentile(&t, 50.0),
                p95: percentile(&t, 95.0),
                p99: percentile(&t, 99.0),
                max: t.last().copied().unwrap_or(f64::NAN),
                rate: t.len() as f64 / wall.as_secs_f64(),
            }
        })
        .collect()
}

fn print_rows(title: &str, rows: &[Row], wall: Duration) {
    println!("\n{title} ({:.2} s)", wall.as_secs_f64());
    println!(
        "{:<26} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "endpoint", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s"
    );
    for r in rows {
        println!(
            "{:<26} {:>6} {:>6} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            r.name, r.count, r.errors, r.p50, r.p95, r.p99, r.max, r.rate
        );
    }
}

fn rows_json(rows: &[Row]) -> Value {
    let mut map = serde_json::Map::new();
    for r in rows {
        map.insert(
            r.name.trim().to_owned(),
            json!({
                "count": r.count, "errors": r.errors,
                "p50": r.p50, "p95": r.p95, "p99": r.p99, "max": r.max, "rate": r.rate,
            }),
        );
    }
    Value::Object(map)
}

fn error_statuses(samples: &[Sample]) -> Vec<u16> {
    let mut s: Vec<u16> = samples.iter().filter_map(|s| s.error).collect();
    s.sort_unstable();
    s.dedup();
    s
}

fn binary() -> PathBuf {
    let given = PathBuf::from(
        std::env::var_os("BEIAN")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "target/release/beian".into()),
    );
    if given.is_file() {
        return given;
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join(&given);
    if beside.is_file() {
        return beside;
    }
    fail(&format!(
        "no beian binary at {} (build it with `cargo build --release`, or set BEIAN)",
        given.display()
    ))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| fail(&format!("no free port: {e}")))
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(DEFAULT_SECONDS)
        .clamp(1, 20);
    let bin = binary();
    let Ok(dir) = tempfile::tempdir() else {
        fail("no temporary directory");
    };
    let registry = dir.path().join("beian.db");
    let log_path = std::env::var_os("SERVE_LOAD_LOG")
        .filter(|v| !v.is_empty())
        .map_or_else(|| dir.path().join("serve.log"), PathBuf::from);
    let log = std::fs::File::create(&log_path)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", log_path.display())));
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), free_port());
    let child = Command::new(&bin)
        .arg("--registry")
        .arg(&registry)
        .arg("serve")
        .arg("--listen")
        .arg(addr.to_string())
        .env(LIMITS_VAR, LIMITS)
        .env_remove("BEIAN_REGISTRY")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_or_else(|_| Stdio::null(), Stdio::from))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|e| fail(&format!("cannot start {}: {e}", bin.display())));
    let pid = child.id();
    *SERVER.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
    let server = Server { pid };
    // The watchdog: whatever happens, the run and the server end.
    std::thread::spawn(|| {
        std::thread::sleep(WHOLE_RUN);
        stop_server();
        eprintln!("serve_load: over {} s, stopped", WHOLE_RUN.as_secs());
        std::process::exit(3);
    });
    println!(
        "beian serve under load: {} (pid {pid}), {addr}",
        bin.display()
    );
    println!(
        "{} cores; {CLIENTS} clients for {seconds} s; server env {LIMITS_VAR}={LIMITS}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("no runtime: {e}")));
    let base = format!("http://{addr}");
    let summary = runtime.block_on(run(&server, &base, &log_path, seconds));
    // Peak RSS before the server is stopped.
    let hwm = status_mib(pid, "VmHWM:").unwrap_or(f64::NAN);
    let rss = status_mib(pid, "VmRSS:").unwrap_or(f64::NAN);
    let mut summary = summary;
    summary["server_peak_rss_mib"] = json!(hwm);
    summary["server_rss_end_mib"] = json!(rss);
    println!("\nserver peak RSS (VmHWM) {hwm:.1} MiB; RSS at the end {rss:.1} MiB");
    println!("SUMMARY {summary}");
    stop_server();
    let errors = summary["errors"].as_u64().unwrap_or(0);
    drop(server);
    drop(dir);
    if errors > 0 {
        std::process::exit(1);
    }
}

async fn run(server: &Server, base: &str, log_path: &Path, seconds: u64) -> Value {
    // Wait for the service to answer `/`.
    let probe = client(None);
    let started = Instant::now();
    loop {
        if let Ok(res) = probe.get(format!("{base}/")).send().await
            && res.status().is_success()
        {
            break;
        }
        let exited = SERVER
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        if let Some(status) = exited {
            fail(&format!("the server ended ({status}):\n{}", tail(log_path)));
        }
        if started.elapsed() > STARTUP {
            fail(&format!(
                "no answer in {} s:\n{}",
                STARTUP.as_secs(),
                tail(log_path)
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("answering after {:.0} ms", ms(started.elapsed()));

    // 1. Baseline: one client, one request at a time.
    let http = client(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))));
    let mut baseline = Vec::new();
    let mut receipts = Vec::new();
    let bodies = Bodies::new("基线帐号", "gh_base_0000");
    let mut scratch = Vec::new();
    for _ in 0..BASELINE_WARMUP {
        round(&http, base, &bodies, &mut scratch).await;
    }
    let pid = server.pid.to_string();
    let (cpu_server_0, cpu_self_0, busy_0) = (
        cpu_seconds(&pid),
        cpu_seconds("self"),
        machine_busy_seconds(),
    );
    let t0 = Instant::now();
    for i in 0..BASELINE_SUBMISSIONS {
        let b = Bodies::new(&format!("基线帐号{i:02}"), &format!("gh_base_{i:04}"));
        let (sample, receipt) = request(&http, base, Kind::Submit, &b.valid).await;
        baseline.push(sample);
        receipts.extend(receipt);
    }
    for _ in 0..BASELINE_ROUNDS {
        round(&http, base, &bodies, &mut baseline).await;
    }
    let baseline_wall = t0.elapsed();
    let baseline_rows = rows(&baseline, baseline_wall);
    print_rows(
        "1 client, one request at a time",
        &baseline_rows,
        baseline_wall,
    );

    let baseline_hwm = status_mib(server.pid, "VmHWM:").unwrap_or(f64::NAN);
    let server_cpu = cpu_seconds(&pid) - cpu_server_0;
    let client_cpu = cpu_seconds("self") - cpu_self_0;
    let others = machine_busy_seconds() - busy_0 - server_cpu - client_cpu;
    let secs = baseline_wall.as_secs_f64();
    println!(
        "server CPU {:.2} cores; peak RSS so far (VmHWM) {baseline_hwm:.1} MiB; \
         other processes {:.2} cores",
        server_cpu / secs,
        others / secs
    );

    // 2. Saturation: fifty clients, each as fast as its answers come.
    let busy = load(server, base, seconds, None, 0).await;
    // 3. The page's pace: fifty clients, one request every 300 ms each.
    let paced = load(server, base, seconds, Some(PACE), CLIENTS).await;
    receipts.extend(busy.receipts.iter().cloned());
    receipts.extend(paced.receipts.iter().cloned());

    // Every submission stored once: distinct receipts, one submission each.
    let stored_ok = {
        let mut distinct = receipts.clone();
        distinct.sort();
        distinct.dedup();
        let mut each_one = true;
        for code in &receipts {
            let res = probe
                .get(format!("{base}/api/submissions/{code}"))
                .send()
                .await;
            let n = match res {
                Ok(r) if r.status().is_success() => r
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|v| v["submissions"].as_array().map(Vec::len)),
                _ => None,
            };
            each_one &= n == Some(1);
        }
        let expected = BASELINE_SUBMISSIONS + 2 * CLIENTS;
        let ok = receipts.len() == expected && distinct.len() == expected && each_one;
        println!(
            "submissions: {} receipts of {expected}, {} distinct, each holding one: {}",
            receipts.len(),
            distinct.len(),
            if each_one { "yes" } else { "NO" }
        );
        ok
    };

    let all: Vec<Sample> = baseline
        .iter()
        .chain(&busy.samples)
        .chain(&paced.samples)
        .copied()
        .collect();
    let statuses = error_statuses(&all);
    let mut errors = all.iter().filter(|s| s.error.is_some()).count() as u64;
    if !stored_ok {
        errors += 1;
    }
    if !statuses.is_empty() {
        println!("unexpected answers, statuses {statuses:?} (1: no answer)");
    }
    if statuses.contains(&429) {
        println!(
            "429: the server counted requests against its rate limits; \
             it must read {LIMITS_VAR}=logins,submissions,checks"
        );
    }
    json!({
        "seconds": seconds,
        "clients": CLIENTS,
        "baseline": rows_json(&baseline_rows),
        "baseline_peak_rss_mib": baseline_hwm,
        "baseline_others_cpu_cores": others / secs,
        "saturated": busy.json(),
        "paced": paced.json(),
        "stored_once": stored_ok,
        "errors": errors,
    })
}

/// What one load phase measured.
struct Phase {
    samples: Vec<Sample>,
    receipts: Vec<String>,
    rows: Vec<Row>,
    wall: Duration,
    server_cpu: f64,
    client_cpu: f64,
    /// The rest of the machine: other builds and tests (noise).
    others_cpu: f64,
    threads: u64,
    peak_rss: f64,
}

impl Phase {
    fn json(&self) -> Value {
        let wall = self.wall.as_secs_f64();
        json!({
            "endpoints": rows_json(&self.rows),
            "wall_s": wall,
            "server_cpu_cores": self.server_cpu / wall,
            "client_cpu_cores": self.client_cpu / wall,
            "others_cpu_cores": self.others_cpu / wall,
            "server_threads": self.threads,
            "server_peak_rss_mib": self.peak_rss,
        })
    }
}

/// Fifty clients released together: each submits its record, then repeats
/// the round of four requests for `seconds`, back to back (`pace` None) or
/// one request every `pace`, client i starting i × pace / `stagger` later
/// (0: all at once).
async fn load(
    server: &Server,
    base: &str,
    seconds: u64,
    pace: Option<Duration>,
    stagger: usize,
) -> Phase {
    let barrier = Arc::new(tokio::sync::Barrier::new(CLIENTS + 1));
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let barrier = barrier.clone();
        let base = base.to_owned();
        let local = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10 + i as u8));
        let tag = if pace.is_some() { "p" } else { "s" };
        tasks.push(tokio::spawn(async move {
            let http = client(Some(local));
            let bodies = Bodies::new(
                &format!("负载帐号{tag}{i:02}"),
                &format!("gh_load_{tag}{i:04}"),
            );
            barrier.wait().await;
            let end = Instant::now() + Duration::from_secs(seconds);
            let mut samples = Vec::new();
            let (sample, receipt) = request(&http, &base, Kind::Submit, &bodies.valid).await;
            samples.push(sample);
            match pace {
                None => {
                    while Instant::now() < end {
                        round(&http, &base, &bodies, &mut samples).await;
                    }
                }
                Some(pace) => {
                    let offset = match stagger {
                        0 => Duration::ZERO,
                        n => pace * (i % n) as u32 / n as u32,
                    };
                    let mut tick =
                        tokio::time::interval_at(tokio::time::Instant::now() + pace + offset, pace);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    let kinds = [
                        (Kind::CheckValid, &bodies.valid),
                        (Kind::PreviewValid, &bodies.valid),
                        (Kind::CheckInvalid, &bodies.invalid),
                        (Kind::PreviewInvalid, &bodies.invalid),
                    ];
                    let mut n = 0;
                    loop {
                        tick.tick().await;
                        if Instant::now() >= end {
                            break;
                        }
                        let (kind, body) = kinds[n % kinds.len()];
                        samples.push(request(&http, &base, kind, body).await.0);
                        n += 1;
                    }
                }
            }
            (samples, receipt)
        }));
    }
    let pid = server.pid.to_string();
    let cpu_server_0 = cpu_seconds(&pid);
    let cpu_self_0 = cpu_seconds("self");
    let busy_0 = machine_busy_seconds();
    barrier.wait().await;
    let t0 = Instant::now();
    let mut samples = Vec::new();
    let mut receipts = Vec::new();
    for t in tasks {
        match t.await {
            Ok((s, receipt)) => {
                samples.extend(s);
                receipts.extend(receipt);
            }
            Err(e) => fail(&format!("a client failed: {e}")),
        }
    }
    let wall = t0.elapsed();
    let server_cpu = cpu_seconds(&pid) - cpu_server_0;
    let client_cpu = cpu_seconds("self") - cpu_self_0;
    let others_cpu = machine_busy_seconds() - busy_0 - server_cpu - client_cpu;
    let rows = rows(&samples, wall);
    let title = match pace {
        None => format!(
            "{CLIENTS} clients at once, each: submit, then check/preview back to back for {seconds} s"
        ),
        Some(p) => format!(
            "{CLIENTS} clients at once, each: submit, then one check/preview every {} ms for {seconds} s",
            p.as_millis()
        ),
    };
    print_rows(&title, &rows, wall);
    let threads = threads(server.pid).unwrap_or(0);
    let peak_rss = status_mib(server.pid, "VmHWM:").unwrap_or(f64::NAN);
    println!(
        "server CPU {server_cpu:.2} s = {:.2} cores; threads {threads}; peak RSS so far {peak_rss:.1} MiB; \
         this client's CPU {client_cpu:.2} s = {:.2} cores; other processes {:.2} cores",
        server_cpu / wall.as_secs_f64(),
        client_cpu / wall.as_secs_f64(),
        others_cpu / wall.as_secs_f64()
    );
    Phase {
        samples,
        receipts,
        rows,
        wall,
        server_cpu,
        client_cpu,
        others_cpu,
        threads,
        peak_rss,
    }
}
