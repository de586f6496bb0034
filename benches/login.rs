//! Sign-in cost: one argon2id verification (m = 19 MiB, t = 2, p = 1) through the same
//! `Passwords` path a sign-in takes (blocking pool, per-core semaphore). One core: a single
//! verification at a time; all cores: as many at once as the semaphore admits.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mend::auth::password::{Passwords, Verified, hash};
use mend::domain::account::NewPassword;
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const PASSWORD: &str = "a quiet walk by the river";

/// The runtime, the hasher and a stored hash of [`PASSWORD`].
fn setup() -> Option<(Runtime, Passwords, String)> {
    let rt = tokio::runtime::Builder::new_current_thread().build().ok()?;
    let passwords = Passwords::new().ok()?;
    let stored = hash(&NewPassword::parse(PASSWORD.into()).ok()?).ok()?;
    Some((rt, passwords, stored))
}

fn sign_in(c: &mut Criterion) {
    let Some((rt, passwords, stored)) = setup() else { return };
    let correct = rt.block_on(passwords.verify(PASSWORD.into(), Some(stored.clone())));
    eprintln!("the stored hash verifies: {:?}", correct.map(|v| v != Verified::No));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    let mut group = c.benchmark_group("sign_in");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_core", |b| {
        b.iter(|| rt.block_on(passwords.verify(PASSWORD.into(), Some(stored.clone()))));
    });
    group.bench_function("unknown_account_dummy_hash", |b| {
        b.iter(|| rt.block_on(passwords.verify(PASSWORD.into(), None)));
    });
    group.throughput(Throughput::Elements(cores as u64));
    group.bench_function("all_cores", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut set = JoinSet::new();
                for _ in 0..cores {
                    let (passwords, stored) = (passwords.clone(), stored.clone());
                    set.spawn(async move { passwords.verify(PASSWORD.into(), Some(stored)).await });
                }
                set.join_all().await
            })
        });
    });
    group.finish();
}

criterion_group!(benches, sign_in);
criterion_main!(benches);
