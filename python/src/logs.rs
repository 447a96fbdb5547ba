//! The library's log events and progress, handed to Python: events are queued by
//! whichever thread emits them (workers run with the GIL released) and passed to the
//! `logging` module (logger `moscorpus`) by the thread that holds the GIL, between its
//! checks for Ctrl-C; an ingest's progress becomes a `tqdm` bar when tqdm is installed
//! (`tqdm.auto`: a widget in a notebook). What reaches `logging` is what its level lets
//! through, so a program that does not configure logging sees warnings and errors on
//! `sys.stderr`, as with any Python library.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Events held at most between two hand-overs; beyond, they are counted and dropped.
const QUEUE_LIMIT: usize = 10_000;

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    events: Vec::new(),
    dropped: 0,
});

/// The most verbose level the `moscorpus` logger lets through (0: none, 5: trace),
/// read from Python at each call.
static MOST_VERBOSE: AtomicU8 = AtomicU8::new(2);

struct Queue {
    events: Vec<(Level, String)>,
    dropped: usize,
}

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Python's number for a level (`logging.WARNING` is 30; TRACE is 5).
fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

struct ToPython;

impl<S: Subscriber> Layer<S> for ToPython {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // The logger's level can change between calls: ask each time.
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        rank(metadata.level()) <= MOST_VERBOSE.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut text = Message(String::new());
        event.record(&mut text);
        let mut queue = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
        if queue.events.len() < QUEUE_LIMIT {
            queue.events.push((*event.metadata().level(), text.0));
        } else {
            queue.dropped += 1;
        }
    }
}

/// An event's message, then its other fields as `key=value`.
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

/// Sends the library's events to Python from now on (once per process), at the level
/// the `moscorpus` logger has now.
pub fn start(py: Python<'_>) {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let _ = tracing_subscriber::registry().with(ToPython).try_init();
    });
    let effective = logger(py)
        .and_then(|l| l.call_method0("getEffectiveLevel"))
        .and_then(|l| l.extract::<u32>())
        .unwrap_or(30);
    let most_verbose = match effective {
        0..=5 => 5,
        6..=10 => 4,
        11..=20 => 3,
        21..=30 => 2,
        31..=40 => 1,
        _ => 0,
    };
    MOST_VERBOSE.store(most_verbose, Ordering::Relaxed);
}

fn logger(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("logging")?
        .call_method1("getLogger", ("moscorpus",))
}

/// Drops a failed Python call's error, unless it is the `KeyboardInterrupt` a pending
/// Ctrl-C raised inside it: Python runs its signal handlers in whatever Python code runs
/// next, so a handler, tqdm or `logging` call may be where the interrupt lands.
fn keep_interrupt<T>(py: Python<'_>, result: PyResult<T>) -> PyResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_instance_of::<PyKeyboardInterrupt>(py) => Err(error),
        Err(_) => Ok(None),
    }
}

/// Hands the queued events to the `moscorpus` logger (the GIL is held). A Ctrl-C that
/// lands in a handler is returned; other handler failures are dropped, as `logging` does.
pub fn flush(py: Python<'_>) -> PyResult<()> {
    let (events, dropped) = {
        let mut queue = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
        (
            std::mem::take(&mut queue.events),
            std::mem::take(&mut queue.dropped),
        )
    };
    if events.is_empty() && dropped == 0 {
        return Ok(());
    }
    let Some(logger) = keep_interrupt(py, logger(py))? else {
        return Ok(());
    };
    for (level, text) in events {
        keep_interrupt(py, logger.call_method1("log", (python_level(&level), text)))?;
    }
    if dropped > 0 {
        let text = format!("{dropped} more log lines were dropped (too many at once)");
        keep_interrupt(py, logger.call_method1("log", (30, text)))?;
    }
    Ok(())
}

/// An ingest's progress as a `tqdm.auto` bar, when tqdm is installed: the first run
/// that begins after the bar's call started.
pub struct ProgressBar {
    /// The number of the latest run when the call started.
    before: u64,
    bar: Option<Py<PyAny>>,
    shown: u64,
}

impl ProgressBar {
    pub fn new() -> Self {
        Self {
            before: moscorpus::progress::now().run,
            bar: None,
            shown: 0,
        }
    }

    /// Brings the bar to where the run is (made at the run's first sight). A Ctrl-C that
    /// lands inside tqdm is returned; without tqdm there is no bar.
    pub fn update(&mut self, py: Python<'_>) -> PyResult<()> {
        let now = moscorpus::progress::now();
        if now.run <= self.before || now.run > self.before + 1 {
            return Ok(());
        }
        if self.bar.is_none() {
            let made = py.import("tqdm.auto").and_then(|tqdm| {
                let kwargs = pyo3::types::PyDict::new(py);
                kwargs.set_item("total", now.total)?;
                kwargs.set_item("unit", "row")?;
                kwargs.set_item("desc", "moscorpus ingest")?;
                tqdm.getattr("tqdm")?.call((), Some(&kwargs))
            });
            self.bar = keep_interrupt(py, made)?.map(Bound::unbind);
        }
        if let Some(bar) = &self.bar
            && now.done > self.shown
        {
            let step = now.done - self.shown;
            self.shown = now.done;
            keep_interrupt(py, bar.bind(py).call_method1("update", (step,)))?;
        }
        Ok(())
    }

    /// Brings the bar to the end of the run and closes it.
    pub fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        let updated = self.update(py);
        if let Some(bar) = self.bar.take() {
            keep_interrupt(py, bar.bind(py).call_method0("close"))?;
        }
        updated
    }
}
