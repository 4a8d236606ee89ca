//! The office's login: argon2id password hashes kept in the registry,
//! sessions held in memory, a CSRF token per session, and the random codes
//! (receipts, sessions, tokens) the service hands out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::Error;

/// A random code of `bytes` bytes from the operating system, as lower-case
/// hex: receipts have 16 bytes (128 bits), sessions and tokens 32.
pub fn random_code(bytes: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("系统随机数不可用（{e}）")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// argon2id with OWASP's minimum (19 MiB, 2 passes): about 30 ms here, so a
/// login costs the office nothing and a guesser a great deal.
fn argon2() -> Result<Argon2<'static>, Error> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| Error::Internal(format!("argon2 参数无效：{e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string (`$argon2id$v=19$…`) of a new password, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("系统随机数不可用（{e}）")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Error::Internal(format!("argon2 盐值无效：{e}")))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("口令无法散列：{e}")))
}

/// Whether `password` is the one `phc` was made from. A damaged hash is a
/// wrong password (and the office sets it again), never a crash.
pub fn verify_password(phc: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash no password matches, checked for a user name that does not
/// exist, so that a wrong name takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        random_code(32)
            .and_then(|p| hash_password(&p))
            .unwrap_or_default()
    })
}

/// What a password must be: long enough that the office's one password is
/// not guessed in the attempts the rate limit allows.
pub fn password_problem(password: &str) -> Option<&'static str> {
    match password.chars().count() {
        0..8 => Some("口令至少 8 个字符"),
        257.. => Some("口令太长（最多 256 个字符）"),
        _ => None,
    }
}

/// A signed-in office user.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    /// SHA-256 of the password hash the session was opened with.
    pub password: String,
    /// Every office form carries it; a post without it is refused.
    pub csrf: String,
    last_seen: Instant,
}

/// How long an idle session lasts: a working day.
const IDLE: Duration = Duration::from_secs(8 * 3600);

/// The sessions of the running service, by token. Kept in memory: a
/// restart signs everyone out, which is what an office expects of a
/// restart.
#[derive(Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Signs `user` in: the new session's token (the cookie's value).
    pub fn open(&self, user: &str, password: &str) -> Result<(String, Session), Error> {
        let token = random_code(32)?;
        let session = Session {
            user: user.to_owned(),
            password: password.to_owned(),
            csrf: random_code(32)?,
            last_seen: Instant::now(),
        };
        let mut map = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| s.last_seen.elapsed() < IDLE);
        map.insert(token.clone(), session.clone());
        Ok((token, session))
    }

    /// The session a token names, if it is live; seeing it keeps it alive.
    pub fn get(&self, token: &str) -> Option<Session> {
        let mut map = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        let live = map.get(token).is_some_and(|s| s.last_seen.elapsed() < IDLE);
        if !live {
            map.remove(token);
            return None;
        }
        let session = map.get_mut(token)?;
        session.last_seen = Instant::now();
        Some(session.clone())
    }

    pub fn close(&self, token: &str) {
        let mut map = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(token);
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_and_another_does_not() {
        let phc = hash_password("宣传部办公室2026").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&phc, "宣传部办公室2026"));
        assert!(!verify_password(&phc, "宣传部办公室2027"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn codes_are_long_and_different() {
        let a = random_code(16).unwrap();
        let b = random_code(16).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn sessions_open_and_close() {
        let sessions = Sessions::default();
        let (token, s) = sessions.open("张老师", "digest").unwrap();
        assert_eq!(sessions.get(&token).unwrap().csrf, s.csrf);
        sessions.close(&token);
        assert!(sessions.get(&token).is_none());
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
