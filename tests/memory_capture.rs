//! The capture's redaction under a router that never ends a word: 120 MB of text with no
//! space and no line end go through the redactor (as every byte from the router does on its
//! way to a capture). Its state must not grow with the input. Measured as the growth of this
//! process's peak RSS (this file holds one test, so nothing else runs beside it); the budget
//! is generous (64 MB against the 120 MB sent, which an unbounded word would keep whole).

use tunnelscope::capture::Redactor;

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn redactor_state_stays_bounded_under_a_word_with_no_end() {
    let mut r = Redactor::new(false);
    let chunk = vec![b'A'; 8192];
    // Warm up: buffers of one chunk's size are there before the measure.
    let _ = r.received(&chunk);
    let before = peak_rss_kb();
    let mut out = 0usize;
    for _ in 0..(120usize << 20) / chunk.len() {
        out += r.received(&chunk).len();
    }
    let grown = peak_rss_kb().saturating_sub(before);
    assert_eq!(out, 120 << 20, "plain text is passed on whole");
    assert!(grown < 64 * 1024, "peak RSS grew by {grown} kB");
}
