//! The demo's clip server: fixed bytes per path on 127.0.0.1, `404` for anything else,
//! served with `tiny_http` on one thread until dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;

/// A running server; stops when dropped.
pub struct ClipServer {
    server: Arc<tiny_http::Server>,
    base_url: String,
    thread: Option<thread::JoinHandle<()>>,
}

impl ClipServer {
    /// Binds 127.0.0.1 on a free port and serves `files` (path → bytes).
    pub fn start(files: HashMap<String, Vec<u8>>) -> Result<ClipServer, String> {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").map_err(|e| e.to_string())?);
        let base_url = match server.server_addr().to_ip() {
            Some(addr) => format!("http://{addr}"),
            None => return Err("the server has no IP address".into()),
        };
        let serving = Arc::clone(&server);
        let thread = thread::spawn(move || {
            for request in serving.incoming_requests() {
                let path = request.url().split('?').next().unwrap_or_default();
                // A client that hung up is no concern of the server's.
                let _ = match files.get(path) {
                    Some(bytes) => request.respond(tiny_http::Response::from_data(bytes.clone())),
                    None => request.respond(tiny_http::Response::empty(404)),
                };
            }
        });
        Ok(ClipServer {
            server,
            base_url,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for ClipServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
