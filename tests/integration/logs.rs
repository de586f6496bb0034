//! Per-app log capture. One subscriber serves the whole test process, but it files every span
//! and event under the `instance` field of the request or outbox span it happened in (the app's
//! bound address), so each test app reads only its own logs and no other test can fill them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex, Once, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, SpanRef};
use tracing_subscriber::util::SubscriberInitExt;

type Buffer = Arc<Mutex<String>>;

/// The capture of each live test app, by instance.
static APPS: LazyLock<Mutex<HashMap<String, Buffer>>> = LazyLock::new(Mutex::default);

/// Everything one app has logged at debug level or above, from its creation until dropped.
pub struct LogCapture {
    instance: String,
    buffer: Buffer,
}

impl LogCapture {
    /// Starts capturing what the app listening on `instance` (e.g. `127.0.0.1:41234`) logs.
    pub fn start(instance: String) -> Self {
        install();
        let buffer = Buffer::default();
        lock(&APPS).insert(instance.clone(), buffer.clone());
        Self { instance, buffer }
    }

    /// The address of the app whose logs these are.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The app's logs so far, one span or event a line.
    pub fn text(&self) -> String {
        lock(&self.buffer).clone()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        lock(&APPS).remove(&self.instance);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs (once) the subscriber that feeds every [`LogCapture`].
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::new("debug");
        let _ = tracing_subscriber::registry().with(filter).with(Capture).try_init();
    });
}

fn append(instance: &str, line: String) {
    if let Some(buffer) = lock(&APPS).get(instance) {
        lock(buffer).push_str(&line);
    }
}

/// Which app a span belongs to, kept in the span's extensions.
struct Instance(String);

/// A span's or event's fields as `name=value` text, and the `instance` among them.
#[derive(Default)]
struct Fields {
    text: String,
    instance: Option<String>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.text, " {}={value:?}", field.name());
        if field.name() == "instance" {
            self.instance = Some(format!("{value:?}"));
        }
    }
}

struct Capture;

fn instance_of<S: for<'a> LookupSpan<'a>>(span: &SpanRef<'_, S>) -> Option<String> {
    span.extensions().get::<Instance>().map(|instance| instance.0.clone())
}

fn span_line<S: for<'a> LookupSpan<'a>>(span: &SpanRef<'_, S>, fields: &Fields) -> String {
    format!("{} {}{{{}}}\n", span.metadata().level(), span.name(), fields.text)
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let inherited = || instance_of(&span.parent()?);
        let Some(instance) = fields.instance.clone().or_else(inherited) else { return };
        append(&instance, span_line(&span, &fields));
        span.extensions_mut().insert(Instance(instance));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(instance) = instance_of(&span) else { return };
        let mut fields = Fields::default();
        values.record(&mut fields);
        append(&instance, span_line(&span, &fields));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(instance) = ctx.event_span(event).and_then(|span| instance_of(&span)) else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let metadata = event.metadata();
        append(&instance, format!("{} {}:{}\n", metadata.level(), metadata.target(), fields.text));
    }
}
