//! The real demo binary run as a child process, for the tests that check
//! what a user of `cargo run --example demo` sees (its URL line, its log).

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, ChildStderr, Command, Stdio},
};

/// The real demo binary (`cargo run --example demo`), started with
/// `DEMO_ADDR=127.0.0.1:0`; killed on drop.
pub struct DemoProcess {
    child: Child,
    /// Where it listens, read from the URL it prints.
    pub addr: SocketAddr,
    /// Its stderr (the log), piped.
    pub stderr: Option<BufReader<ChildStderr>>,
}

impl DemoProcess {
    /// Starts the demo with `env` added to its environment (`RUST_LOG` is
    /// removed unless given) and waits for the URL line on stdout.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let exe = std::env::current_exe().expect("test exe");
        let demo = exe
            .parent()
            .and_then(|deps| deps.parent())
            .map(|dir| {
                dir.join("examples")
                    .join(format!("demo{}", std::env::consts::EXE_SUFFIX))
            })
            .expect("target dir");
        assert!(
            demo.exists(),
            "{} not built (cargo test builds examples)",
            demo.display()
        );
        let mut cmd = Command::new(&demo);
        cmd.env_remove("RUST_LOG")
            .env("DEMO_ADDR", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", demo.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the demo's URL line");
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|url| url.strip_prefix("http://"))
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no URL in the demo's first line {line:?}"));
        let stderr = child.stderr.take().map(BufReader::new);
        DemoProcess {
            child,
            addr,
            stderr,
        }
    }

    /// Stops the demo and returns the rest of its stderr.
    pub fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|s| s.lines().map_while(Result::ok).collect())
            .unwrap_or_default()
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
