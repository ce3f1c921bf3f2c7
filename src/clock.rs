//! Wall-clock text: the few shapes of time tunnelscope writes and reads, built on `jiff` so no
//! calendar arithmetic is written by hand. A leaf module (it imports nothing of the project).
//!
//! Two kinds of time, kept apart on purpose:
//! - what a person reads on the screen or in a mark (`HH:MM:SS`, `HH:MM:SS.mmm`): the local wall
//!   time of the zone this process runs in (`TZ`, else the system's zone, else UTC);
//! - what a capture file stores in its `started` header (`2026-11-26T23:40:50.123Z`): always UTC,
//!   so a capture reads the same wherever it is replayed.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Zoned};

pub use jiff::Timestamp;

/// The time now.
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// `HH:MM:SS` of now in the local zone.
pub fn now_hms() -> String {
    hms(&Zoned::now())
}

/// `HH:MM:SS.mmm` of now in the local zone (debug log lines, stamps on the screen).
pub fn now_hms_millis() -> String {
    hms_millis(&Zoned::now())
}

/// `HH:MM:SS ZONE` of now, e.g. `23:40:54 UTC` or `00:40:54 CET` (the session's marks, such as
/// "link lost at ...", which end up in captures read elsewhere: the zone says whose clock).
pub fn now_hms_zone() -> String {
    hms_zone(&Zoned::now())
}

/// `HH:MM:SS.mmm` of `at` in the local zone.
pub fn local_hms_millis(at: Timestamp) -> String {
    hms_millis(&at.to_zoned(TimeZone::system()))
}

/// Milliseconds since local midnight at `at` (a replay's clock starts there).
pub fn local_ms_of_day(at: Timestamp) -> u64 {
    ms_of_day(&at.to_zoned(TimeZone::system()))
}

/// A capture header's `started` value for `at`: `2026-11-26T23:40:50.123Z` (UTC, milliseconds).
pub fn capture_time(at: Timestamp) -> String {
    let t = at.to_zoned(TimeZone::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `2026-11-26T23-40-50Z` for `at`: a capture's time in a file name (UTC; no colons, which
/// some file systems refuse).
pub fn file_name_time(at: Timestamp) -> String {
    let t = at.to_zoned(TimeZone::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Reads a capture header's `started` value (what `capture_time` writes, or any RFC 3339 time
/// with an offset). `None` for anything else.
pub fn parse_capture_time(text: &str) -> Option<Timestamp> {
    text.trim().parse::<Timestamp>().ok()
}

/// `HH:MM:SS.mmm` of a time of day given in milliseconds since midnight (wraps past 24 h).
pub fn hms_millis_of_day(ms: u64) -> String {
    let t = time_of_day(ms);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `HH:MM:SS` of a time of day given in seconds since midnight (wraps past 24 h).
pub fn hms_of_day(secs: u64) -> String {
    let t = time_of_day(secs % 86_400 * 1000);
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

fn time_of_day(ms: u64) -> Time {
    const DAY_MS: u64 = 86_400_000;
    // Below a day, so the cast cannot wrap.
    Time::midnight().wrapping_add(SignedDuration::from_millis((ms % DAY_MS) as i64))
}

fn hms(t: &Zoned) -> String {
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

fn hms_millis(t: &Zoned) -> String {
    format!("{}.{:03}", hms(t), t.millisecond())
}

fn hms_zone(t: &Zoned) -> String {
    let at = t.timestamp();
    let info = t.time_zone().to_offset_info(at);
    let zone = info.abbreviation();
    if zone.is_empty() {
        // A zone without an abbreviation: the offset says as much.
        format!("{} {}", hms(t), info.offset())
    } else {
        format!("{} {zone}", hms(t))
    }
}

fn ms_of_day(t: &Zoned) -> u64 {
    let secs = (t.hour() as u64 * 60 + t.minute() as u64) * 60 + t.second() as u64;
    secs * 1000 + t.millisecond() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn capture_time_is_utc_with_milliseconds_and_reads_back() {
        let t = at("2026-11-26T23:40:50.123Z");
        assert_eq!(capture_time(t), "2026-11-26T23:40:50.123Z");
        assert_eq!(parse_capture_time(&capture_time(t)), Some(t));
        // Whole seconds still get three digits, as the hand-written writer gave them.
        assert_eq!(
            capture_time(at("2026-01-01T10:00:00Z")),
            "2026-01-01T10:00:00.000Z"
        );
        assert_eq!(
            capture_time(at("1999-02-28T00:00:09.009Z")),
            "1999-02-28T00:00:09.009Z"
        );
        assert_eq!(file_name_time(t), "2026-11-26T23-40-50Z");
    }

    #[test]
    fn leap_days_and_year_ends_come_out_right() {
        // Where a hand-written civil-date algorithm goes wrong first.
        let t = Timestamp::from_second(951_782_400).unwrap(); // 2000-02-29 00:00:00 UTC
        assert_eq!(capture_time(t), "2000-02-29T00:00:00.000Z");
        let t = Timestamp::from_second(1_798_761_599).unwrap();
        assert_eq!(capture_time(t), "2026-12-31T23:59:59.000Z");
    }

    #[test]
    fn what_is_not_a_time_is_none() {
        for bad in [
            "",
            "yesterday",
            "10:00:00",
            "2026-13-01T00:00:00Z",
            "2026-01-01",
        ] {
            assert_eq!(parse_capture_time(bad), None, "{bad}");
        }
        assert_eq!(
            parse_capture_time(" 2026-01-01T10:00:00+01:00 "),
            Some(at("2026-01-01T09:00:00Z"))
        );
    }

    #[test]
    fn times_of_day_wrap_at_midnight() {
        assert_eq!(hms_millis_of_day(0), "00:00:00.000");
        assert_eq!(hms_millis_of_day(36_000_000 + 1_234), "10:00:01.234");
        assert_eq!(hms_millis_of_day(86_400_000 + 61_000), "00:01:01.000");
        assert_eq!(hms_of_day(36_000 + 3_723), "11:02:03");
        assert_eq!(hms_of_day(86_399), "23:59:59");
        assert_eq!(hms_of_day(u64::MAX), hms_of_day(u64::MAX % 86_400));
    }

    #[test]
    fn local_shapes_follow_the_zone() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let t = at("2026-01-15T23:40:50.007Z").to_zoned(paris);
        assert_eq!(hms(&t), "00:40:50");
        assert_eq!(hms_millis(&t), "00:40:50.007");
        assert_eq!(hms_zone(&t), "00:40:50 CET");
        assert_eq!(ms_of_day(&t), ((40 * 60) + 50) * 1000 + 7);
        let utc = at("2026-01-15T23:40:50.007Z").to_zoned(TimeZone::UTC);
        assert_eq!(hms_zone(&utc), "23:40:50 UTC");
        let fixed = at("2026-01-15T23:40:50Z").to_zoned(TimeZone::fixed(jiff::tz::offset(5)));
        assert!(
            hms_zone(&fixed).starts_with("04:40:50 "),
            "{}",
            hms_zone(&fixed)
        );
    }
}
