//! `moscorpus._native`: the Rust side of the Python package. The loader hands Arrow
//! columns to pyarrow through the C data interface (no per-row Python objects); the
//! commands run the CLI's own code with the GIL released, and Ctrl-C in Python stops
//! them the way SIGINT stops the CLI (what is finished is written) before
//! `KeyboardInterrupt` is raised.

use std::path::PathBuf;
use std::time::Duration;

mod logs;

use arrow_pyarrow::IntoPyArrow;
use moscorpus::Error;
use moscorpus::error::os_code;
use pyo3::create_exception;
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;

create_exception!(
    moscorpus,
    CorpusError,
    PyValueError,
    "A label file, shard or row that cannot be used as given; the message names the file \
     (and line) and what is wrong, and `.path`, `.line` and `.kind` give them as data."
);

/// SIGINT's number, as the CLI records an interrupt.
const SIGINT: i32 = 2;
/// The errno of a missing file.
const ENOENT: i32 = 2;

/// The library's error as the Python exception a user would expect.
fn to_py(error: Error) -> PyErr {
    match error {
        Error::Input { message, hint } => corpus_error(
            with_hint(message, hint.as_deref()),
            None,
            None,
            "input",
            None,
        ),
        Error::Label(label) => {
            let message = with_hint(label.to_string(), label.hint().as_deref());
            let path = Some(label.path.display().to_string());
            corpus_error(message, path, label.line, label.kind.name(), None)
        }
        Error::Row(row) => {
            let path = Some(row.path.display().to_string());
            corpus_error(
                row.to_string(),
                path,
                Some(row.line),
                "row",
                row.key.as_deref(),
            )
        }
        Error::BadArchive { message } => corpus_error(message, None, None, "bad_archive", None),
        Error::CorpusFile(file) => {
            let path = Some(file.file.clone());
            corpus_error(file.to_string(), path, file.line, "corpus_file", None)
        }
        // FileNotFoundError(errno, strerror, filename), as `open` raises it.
        Error::MissingInput { path, what } => PyFileNotFoundError::new_err((
            ENOENT,
            format!("no such {what}"),
            path.display().to_string(),
        )),
        Error::Io { path, source } => PyOSError::new_err((
            os_code(&source).unwrap_or(0),
            format!("{}: {source}", path.display()),
        )),
        Error::File(source) => {
            PyOSError::new_err((os_code(&source).unwrap_or(0), source.to_string()))
        }
        Error::Interrupted { .. } => PyKeyboardInterrupt::new_err("interrupted"),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// A `CorpusError` carrying where and what as attributes: `.path` (the file, or
/// `None`), `.line` (1-based, or `None`), `.kind` (e.g. `"missing_column"`) and `.key`
/// (a shard row's key at fault, or `None`).
fn corpus_error(
    message: String,
    path: Option<String>,
    line: Option<usize>,
    kind: &str,
    key: Option<&str>,
) -> PyErr {
    let error = CorpusError::new_err(message);
    Python::attach(|py| {
        let value = error.value(py);
        let _ = value.setattr("path", path);
        let _ = value.setattr("line", line);
        let _ = value.setattr("kind", kind);
        let _ = value.setattr("key", key);
    });
    error
}

fn with_hint(message: String, hint: Option<&str>) -> String {
    match hint {
        Some(hint) => format!("{message}\nhint: {hint}"),
        None => message,
    }
}

/// Runs `work` on another thread with the GIL released, checking Python's signal
/// handlers meanwhile: on `KeyboardInterrupt` the run is asked to stop, allowed to write
/// what it finished, and the exception is raised.
/// Meanwhile, the run's log lines go to `logging` and its progress to a tqdm bar.
fn interruptible<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    moscorpus::interrupt::clear();
    logs::start(py);
    let mut bar = logs::ProgressBar::new();
    // The worker says when it is done, so a short call is not held to the next tick.
    let done = (std::sync::Mutex::new(false), std::sync::Condvar::new());
    let result = std::thread::scope(|scope| {
        let done = &done;
        let worker = scope.spawn(move || {
            let result = work();
            *done.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
            done.1.notify_all();
            result
        });
        loop {
            py.detach(|| {
                let finished = done.0.lock().unwrap_or_else(|e| e.into_inner());
                let tick = Duration::from_millis(20);
                let _ = done
                    .1
                    .wait_timeout_while(finished, tick, |finished| !*finished);
            });
            if worker.is_finished() {
                return py
                    .detach(|| worker.join())
                    .map_err(|_| PyRuntimeError::new_err("the run panicked"));
            }
            // Python runs a pending Ctrl-C's handler in the next Python code, which may
            // be a log handler or tqdm rather than `check_signals`.
            let signalled = logs::flush(py)
                .and_then(|()| bar.update(py))
                .and_then(|()| py.check_signals());
            if let Err(signal) = signalled {
                moscorpus::interrupt::request(SIGINT);
                let _ = py.detach(|| worker.join());
                moscorpus::interrupt::clear();
                return Err(signal);
            }
        }
    });
    let closed = bar.close(py).and_then(|()| logs::flush(py));
    let value = result?;
    closed.map(|()| value)
}

/// read(paths, corpora, unified) -> pyarrow.Table
#[pyfunction]
#[pyo3(signature = (paths, corpora=None, unified=false))]
fn read<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    corpora: Option<Vec<String>>,
    unified: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let options = moscorpus::table::ReadOptions {
        corpora,
        unified,
        drop_damaged: false,
    };
    // On another thread, so that Ctrl-C stops a large read (with KeyboardInterrupt).
    let batch = interruptible(py, || moscorpus::table::read_rows(&paths, &options))?;
    let batch = batch.map_err(to_py)?;
    let table = arrow_pyarrow::Table::try_new(vec![batch.clone()], batch.schema())
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    table.into_pyarrow(py)
}

/// command(argv) -> str: the JSON answer of `moscorpus <argv>` (ingest, evaluate, probe).
#[pyfunction]
fn command(py: Python<'_>, argv: Vec<String>) -> PyResult<String> {
    let cli = moscorpus::cli::try_parse(std::iter::once("moscorpus".to_string()).chain(argv))
        .map_err(PyTypeError::new_err)?;
    let answer = interruptible(py, move || moscorpus::cli::run_for_report(cli))?;
    answer.map(|value| value.to_string()).map_err(to_py)
}

/// corpora() -> str: every corpus the tool knows, as JSON.
#[pyfunction]
fn corpora() -> String {
    let all: Vec<_> = moscorpus::corpus::CorpusId::all()
        .iter()
        .map(|id| id.info())
        .collect();
    serde_json::to_string(&all).unwrap_or_default()
}

/// add_corpus_file(path) -> str: adds a corpus file (TOML) to every function of this
/// process and gives its label.
#[pyfunction]
fn add_corpus_file(path: std::path::PathBuf) -> PyResult<String> {
    let id = moscorpus::corpus::add_corpus_file(&path)
        .map_err(|e| to_py(Error::CorpusFile(Box::new(e))))?;
    Ok(id.info().label.to_string())
}

/// scales() -> str: the scale table, as JSON.
#[pyfunction]
fn scales() -> String {
    serde_json::to_string(&moscorpus::corpus::scales()).unwrap_or_default()
}

/// run_cli(argv) -> int: the `moscorpus` command line, exit code returned.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(move || moscorpus::cli::main(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CorpusError", m.py().get_type::<CorpusError>())?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(command, m)?)?;
    m.add_function(wrap_pyfunction!(corpora, m)?)?;
    m.add_function(wrap_pyfunction!(scales, m)?)?;
    m.add_function(wrap_pyfunction!(add_corpus_file, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
