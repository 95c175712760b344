//! Interrupting FFmpeg's blocking I/O.
//!
//! A live input can stall without failing: a UDP sender stops, an HTTP
//! server stops answering. FFmpeg's own timeouts differ by protocol (for
//! RTMP `timeout` even means "listen"), so the input instead registers an
//! interrupt callback that FFmpeg polls while it waits: it asks FFmpeg to
//! give up when the input was cancelled (a stream deleted, a server
//! stopping) or when no packet arrived for the stall timeout. The blocked
//! call then returns an error the caller sees as a read failure.

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The state FFmpeg's interrupt callback reads.
#[derive(Debug)]
pub(crate) struct Watchdog {
    cancel: Option<Arc<AtomicBool>>,
    stall: Option<Duration>,
    epoch: Instant,
    /// Milliseconds from `epoch` of the last progress.
    last_progress_ms: AtomicU64,
}

impl Watchdog {
    /// Gives up when `cancel` is set, or after `stall` without progress.
    pub(crate) fn new(cancel: Option<Arc<AtomicBool>>, stall: Option<Duration>) -> Arc<Self> {
        Arc::new(Watchdog { cancel, stall, epoch: Instant::now(), last_progress_ms: AtomicU64::new(0) })
    }

    /// Data arrived: the stall timeout starts again.
    pub(crate) fn progress(&self) {
        self.last_progress_ms.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Whether the input was cancelled.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Whether no progress came for the stall timeout.
    pub(crate) fn stalled(&self) -> bool {
        self.stall.is_some_and(|stall| {
            let since = self.epoch.elapsed().as_millis() as u64 - self.last_progress_ms.load(Ordering::Relaxed);
            since > stall.as_millis() as u64
        })
    }

    /// Why FFmpeg was (or would be) told to give up, if it was.
    pub(crate) fn verdict(&self) -> Option<String> {
        if self.cancelled() {
            Some("cancelled".into())
        } else if self.stalled() {
            Some(format!("no data for {:.1} s", self.stall.unwrap_or_default().as_secs_f64()))
        } else {
            None
        }
    }

    fn expired(&self) -> bool {
        self.stalled() || self.cancelled()
    }

    /// The callback and opaque pointer for `AVFormatContext.interrupt_callback`.
    /// The watchdog must outlive the format context (the input holds both and
    /// drops the context first).
    pub(crate) fn callback(self: &Arc<Self>) -> ffmpeg_next::ffi::AVIOInterruptCB {
        ffmpeg_next::ffi::AVIOInterruptCB { callback: Some(interrupt), opaque: Arc::as_ptr(self) as *mut c_void }
    }
}

extern "C" fn interrupt(opaque: *mut c_void) -> c_int {
    // SAFETY: `opaque` is the `Watchdog` of an `Arc` that outlives the
    // format context calling this (see `Watchdog::callback`); only shared
    // references are made, and the state is atomic.
    let watchdog = unsafe { &*(opaque as *const Watchdog) };
    c_int::from(watchdog.expired())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_fires_on_cancel_or_after_a_stall_and_progress_resets_the_stall() {
        let cancel = Arc::new(AtomicBool::new(false));
        let w = Watchdog::new(Some(cancel.clone()), Some(Duration::from_millis(100)));
        w.progress();
        assert!(!w.expired());
        std::thread::sleep(Duration::from_millis(150));
        assert!(w.expired(), "no progress for 150 ms");
        w.progress();
        assert!(!w.expired());
        cancel.store(true, Ordering::Relaxed);
        assert!(w.expired() && w.cancelled());
        let files = Watchdog::new(None, None);
        std::thread::sleep(Duration::from_millis(20));
        assert!(!files.expired(), "no stall timeout, no cancel");
    }
}
