//! Ctrl-C and SIGTERM during a run: the first stops it gracefully, a second quits at once.

use crate::exit;
use tokio_util::sync::CancellationToken;

/// Watching for signals until dropped: keep it until the reports are written, so that a
/// second Ctrl-C while they are written still quits at once.
pub struct Watch(tokio::task::JoinHandle<()>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The first Ctrl-C (or SIGTERM) stops the run gracefully; a second one exits at once.
/// The handlers are installed before this returns, so no signal slips past them.
pub fn watch_signals(interrupt: CancellationToken) -> Watch {
    let mut signals = Signals::install();
    Watch(tokio::spawn(async move {
        signals.next().await;
        crate::errln!(
            "\ninterrupted: finishing calls in flight and writing reports (press Ctrl-C again to quit now)"
        );
        interrupt.cancel();
        signals.next().await;
        crate::errln!("interrupted twice: quitting now");
        // Not plain `process::exit`: a report or snapshot being written must not leave its
        // temporary file behind.
        crate::report::ci::resume_workflow_commands();
        crate::files::exit_now(exit::INTERRUPTED);
    }))
}

struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = [SignalKind::interrupt(), SignalKind::terminate()]
            .into_iter()
            .filter_map(|kind| signal(kind).ok())
            .collect();
        Signals { streams }
    }

    #[cfg(not(unix))]
    fn install() -> Signals {
        Signals {}
    }

    #[cfg(unix)]
    async fn next(&mut self) {
        if self.streams.is_empty() {
            return std::future::pending().await;
        }
        let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
        let _ = futures::future::select_all(waits).await;
    }

    #[cfg(not(unix))]
    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
