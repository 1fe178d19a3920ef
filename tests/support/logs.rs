//! downloadview's log records, captured in-process so that tests can check
//! what was logged (and how many times).

/// The downloadview log records of this test binary, as `LEVEL message`.
/// The first call installs the capturing logger (at debug level).
pub fn captured_logs() -> &'static std::sync::Mutex<Vec<String>> {
    struct Capture(std::sync::Mutex<Vec<String>>);
    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            if record.target().starts_with("downloadview") {
                let line = format!("{} {}", record.level(), record.args());
                self.0.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    let mut installed = false;
    let logger = LOGGER.get_or_init(|| {
        installed = true;
        Capture(std::sync::Mutex::new(Vec::new()))
    });
    if installed {
        log::set_logger(logger).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Debug);
    }
    &logger.0
}
