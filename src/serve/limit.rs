//! Rate limits per client address: so many logins, submissions and checks
//! a minute, counted in a fixed one-minute window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Office login attempts (right or wrong).
    Login,
    /// Submissions and roster uploads.
    Submit,
    /// Live checks and previews (a page checks as its user types).
    Check,
}

/// How many of each a client may do a minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub logins: u32,
    pub submissions: u32,
    pub checks: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            // Ten tries a minute: enough for a mistyped password, far too
            // few to guess one.
            logins: 10,
            // A unit files a few forms; a roster is one upload.
            submissions: 30,
            // A check runs once the typing pauses; a page with two people
            // behind one address stays well under this.
            checks: 300,
        }
    }
}

impl Limits {
    /// `logins,submissions,checks`, as `--limits` takes them.
    pub fn parse(text: &str) -> Option<Limits> {
        let n: Vec<u32> = text
            .split([',', '，'])
            .map(|p| p.trim().parse().ok().filter(|n| *n > 0))
            .collect::<Option<_>>()?;
        match n.as_slice() {
            [logins, submissions, checks] => Some(Limits {
                logins: *logins,
                submissions: *submissions,
                checks: *checks,
            }),
            _ => None,
        }
    }

    fn of(&self, action: Action) -> u32 {
        match action {
            Action::Login => self.logins,
            Action::Submit => self.submissions,
            Action::Check => self.checks,
        }
    }
}

const WINDOW: Duration = Duration::from_secs(60);

/// The counts of the current window, per action and address.
pub struct Limiter {
    limits: Limits,
    counts: Mutex<HashMap<(Action, IpAddr), (Instant, u32)>>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one `action` by `addr`: `Err(seconds)` to wait when it is
    /// one too many.
    pub fn take(&self, action: Action, addr: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        // Old windows are dropped as the map grows, so that a scan from
        // many addresses does not grow it without end.
        if counts.len() > 10_000 {
            counts.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        // An IPv6 client has a /64 to itself: counted as one address.
        let addr = match addr {
            IpAddr::V6(v6) => {
                let mut seg = v6.segments();
                for s in seg.iter_mut().skip(4) {
                    *s = 0;
                }
                IpAddr::from(seg)
            }
            v4 => v4,
        };
        let entry = counts.entry((action, addr)).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.limits.of(action) {
            let wait = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_per_action_and_address() {
        let limiter = Limiter::new(Limits {
            logins: 2,
            submissions: 1,
            checks: 1,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.take(Action::Login, a).is_ok());
        assert!(limiter.take(Action::Login, a).is_ok());
        let wait = limiter.take(Action::Login, a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.take(Action::Login, b).is_ok());
        assert!(limiter.take(Action::Submit, a).is_ok());
        assert!(limiter.take(Action::Submit, a).is_err());
        // One IPv6 network is one client.
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(limiter.take(Action::Submit, v6a).is_ok());
        assert!(limiter.take(Action::Submit, v6b).is_err());
    }

    #[test]
    fn limits_are_read_as_three_numbers() {
        assert_eq!(
            Limits::parse("10, 30，300"),
            Some(Limits {
                logins: 10,
                submissions: 30,
                checks: 300
            })
        );
        assert_eq!(Limits::parse("10,30"), None);
        assert_eq!(Limits::parse("10,0,3"), None);
        assert_eq!(Limits::parse("a,b,c"), None);
    }
}
