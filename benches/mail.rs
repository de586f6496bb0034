//! Sending speed: the outbox worker draining a backlog of queued mail in a temp SQLite database
//! to a real SMTP server on loopback (mailin-embedded, the tests' server), over the worker's
//! pooled connections with its bounded concurrency. Each iteration queues `N` messages (not
//! timed), then times `run_once` until nothing is left; criterion reports messages per second.
//! Every row is claimed, sent and marked sent on its own, exactly as in `serve`.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailin_embedded::{Handler, Response, Server, response};
use mend::clock::{Clock, TestClock};
use mend::config::DatabaseUrl;
use mend::db::models::outbox::{self, NewMessage};
use mend::db::{Database, DbError};
use mend::mail::{Mailer, OutboxWorker};
use tokio::runtime::Runtime;

/// Messages per timed drain.
const N: usize = 500;

/// An SMTP sink that only counts what it accepts.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Handler for Counter {
    fn data_end(&mut self) -> Response {
        self.0.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

/// Starts the sink on a free loopback port; it runs until the process ends.
fn sink() -> Option<(String, Counter)> {
    let listener = TcpListener::bind("127.0.0.1:0").ok()?;
    let port = listener.local_addr().ok()?.port();
    let counter = Counter::default();
    let mut server = Server::new(counter.clone());
    server.with_name("sink.bench").with_num_threads(16).with_tcp_listener(listener);
    std::thread::spawn(move || {
        if server.serve().is_err() {
            eprintln!("mail bench: the SMTP sink stopped");
        }
    });
    Some((format!("smtp://127.0.0.1:{port}"), counter))
}

struct Bench {
    rt: Runtime,
    db: Database,
    worker: OutboxWorker,
    clock: Arc<TestClock>,
    delivered: Counter,
    _dir: tempfile::TempDir,
}

fn setup() -> Option<Bench> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    let dir = tempfile::tempdir().ok()?;
    let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("mend.db")), 4).ok()?;
    db.migrate().ok()?;
    let (url, delivered) = sink()?;
    let clock = TestClock::at(chrono::Utc::now());
    let from = "Mend <no-reply@mend.test>".parse().ok()?;
    // The pool's reaper task is spawned where the transport is built: inside the runtime.
    // `MEND_BENCH_STUB=1` swaps SMTP for the in-memory transport: the database's share alone.
    let mailer = if std::env::var_os("MEND_BENCH_STUB").is_some() {
        Mailer::stub()
    } else {
        rt.block_on(async { Mailer::smtp(&url) }).ok()?
    };
    let worker = OutboxWorker::new(db.clone(), mailer, clock.clone(), from);
    Some(Bench { rt, db, worker, clock, delivered, _dir: dir })
}

/// Queues `N` reminder-sized messages to `N` different learners in one transaction.
async fn queue(db: &Database, now: chrono::NaiveDateTime, round: usize) -> Result<(), DbError> {
    db.transaction(move |conn| {
        let body =
            "Hello,\n\nA small step today keeps the thread: five minutes is enough.\n\n".repeat(6);
        let html = format!("<p>{}</p>", body.replace("\n\n", "</p><p>"));
        for n in 0..N {
            let recipient = format!("learner{n}@example.test");
            let key = format!("bench:{round}:{n}");
            let unsubscribe = format!("https://mend.test/unsubscribe/{n}.n.QUJDREVGR0hJSktMTU5PUA");
            let message = NewMessage {
                kind: "reminder_nudge",
                recipient: &recipient,
                subject: "A note from Mend",
                body_text: &body,
                body_html: Some(&html),
                dedupe_key: Some(&key),
                list_unsubscribe: Some(&unsubscribe),
                auto_submitted: true,
                not_before: None,
                payload: None,
            };
            outbox::enqueue(conn, &message, now)?;
        }
        Ok(())
    })
    .await
}

fn send(c: &mut Criterion) {
    let Some(bench) = setup() else {
        eprintln!("mail bench: could not set up the database, runtime or SMTP sink");
        return;
    };
    let mut group = c.benchmark_group("outbox_to_loopback_smtp");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N as u64));
    let mut round = 0;
    group.bench_function("drain_500_pooled", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                round += 1;
                let now = bench.clock.now().naive_utc();
                if bench.rt.block_on(queue(&bench.db, now, round)).is_err() {
                    eprintln!("mail bench: queueing failed");
                    return total;
                }
                let before = bench.delivered.0.load(Ordering::Relaxed);
                let started = Instant::now();
                let mut sent = 0;
                while let Ok(n @ 1..) = bench.rt.block_on(bench.worker.run_once()) {
                    sent += n;
                }
                total += started.elapsed();
                let arrived = bench.delivered.0.load(Ordering::Relaxed) - before;
                let stub = std::env::var_os("MEND_BENCH_STUB").is_some();
                if sent != N || (arrived != N && !stub) {
                    eprintln!("mail bench: sent {sent}, the sink got {arrived}, of {N}");
                }
            }
            total
        });
    });
    group.finish();
    // A pooled SMTP transport closes its connections on the runtime it was built in.
    let Bench { rt, worker, .. } = bench;
    rt.block_on(async move { drop(worker) });
}

criterion_group!(benches, send);
criterion_main!(benches);
