//! What the filing service stores: records units submit under a receipt,
//! the office's corrections, returns and approvals, office users, and the
//! events that tell a filing's history.
//!
//! Approval is a filing ([`Registry::approve_submission`]): the submission is
//! marked filed in the very transaction that gives it its serial, so two
//! office users approving one submission at once file it once.

use chrono::{DateTime, FixedOffset};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use super::{FileError, Filed, FilingRequest, Output, Registry, RegistryError, rfc3339};
use crate::record::FormKind;

/// The actor of what a unit does (units do not sign in: they hold a receipt).
const UNIT_ACTOR: &str = "单位";

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubmissionStatus {
    /// Waiting for the office.
    Pending,
    /// Approved: filed under a serial.
    Filed,
    /// Sent back to the unit with a reason.
    Returned,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 3] = [Self::Pending, Self::Filed, Self::Returned];

    /// How it is stored (and named in URLs): `pending`, `filed`, `returned`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Filed => "filed",
            Self::Returned => "returned",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// As the unit and the office read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待审核",
            Self::Filed => "已备案",
            Self::Returned => "退回",
        }
    }
}

impl ToSql for SubmissionStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.key()))
    }
}

impl FromSql for SubmissionStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let key = value.as_str()?;
        Self::from_key(key)
            .ok_or_else(|| FromSqlError::Other(format!("unknown status {key:?}").into()))
    }
}

/// One record a unit submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submission {
    pub id: i64,
    /// Its place among the submissions of its receipt, from 1.
    pub seq: u32,
    pub form: FormKind,
    pub unit: String,
    pub name: String,
    /// The record as canonical TOML, without a stamp (serial, uuid, filed_at).
    pub record: String,
    /// How it came, e.g. `网页` or `名册 第3行`.
    pub origin: String,
    pub status: SubmissionStatus,
    /// Why it was returned (kept until the unit submits it again).
    pub reason: Option<String>,
    /// The filing it became, once filed.
    pub serial: Option<String>,
    pub version: Option<u32>,
    /// RFC 3339, seconds precision.
    pub submitted_at: String,
    pub updated_at: String,
}

/// A record to submit (see [`Registry::submit`]).
#[derive(Debug, Clone, Copy)]
pub struct NewSubmission<'a> {
    pub form: FormKind,
    pub unit: &'a str,
    pub name: &'a str,
    /// Canonical TOML, without a stamp.
    pub record: &'a str,
    pub origin: &'a str,
}

/// One step in a submission's or a filing's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    /// RFC 3339, seconds precision.
    pub at: String,
    /// An office user's name, `单位` for a unit, `beian` for the command line.
    pub actor: String,
    pub submission: Option<i64>,
    pub serial: Option<String>,
    /// `submitted`, `corrected`, `returned`, `approved`, `resubmitted` or
    /// `password`.
    pub action: String,
    /// What changed: the origin of a submission, the fields corrected, the
    /// reason for a return, the serial approved.
    pub detail: String,
}

impl Event {
    /// What happened, as the office reads it (「批准备案」).
    pub fn action_label(&self) -> &str {
        match self.action.as_str() {
            "submitted" => "提交",
            "corrected" => "更正",
            "returned" => "退回",
            "approved" => "批准备案",
            "resubmitted" => "重新提交",
            "password" => "设置口令",
            "filed" => "命令行备案",
            other => other,
        }
    }
}

const SUBMISSION_COLUMNS: &str = "id, seq, form, unit, name, record, origin, status, reason, \
                                  serial, version, submitted_at, updated_at";

const EVENT_COLUMNS: &str = "id, at, actor, submission, serial, action, detail";

impl Registry {
    /// Stores submissions under one receipt in one transaction, each
    /// pending with a `submitted` event (actor `单位`, detail its origin),
    /// numbered after any the receipt already holds; returns their ids in
    /// order. `receipt_sha256` is the SHA-256 (hex) of the receipt code:
    /// the code itself is never stored.
    pub fn submit(
        &mut self,
        receipt_sha256: &str,
        subs: &[NewSubmission<'_>],
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<i64>, RegistryError> {
        let receipt = receipt_key(receipt_sha256)?;
        let at = rfc3339(now);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: i64 = tx
            .prepare_cached(
                "SELECT coalesce(max(seq), 0) FROM submission WHERE receipt_sha256 = ?1",
            )?
            .query_row([&receipt], |r| r.get(0))?;
        let mut ids = Vec::with_capacity(subs.len());
        for (seq, sub) in (last + 1..).zip(subs) {
            tx.prepare_cached(
                "INSERT INTO submission (receipt_sha256, seq, form, unit, name, record, origin,
                                         status, submitted_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            )?
            .execute(params![
                receipt,
                seq,
                sub.form,
                sub.unit,
                sub.name,
                sub.record,
                sub.origin,
                SubmissionStatus::Pending,
                at,
            ])?;
            let id = tx.last_insert_rowid();
            add_event(
                &tx,
                &at,
                UNIT_ACTOR,
                Some(id),
                None,
                "submitted",
                sub.origin,
            )?;
            ids.push(id);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// The submissions of a receipt (SHA-256 hex of its code), in order.
    pub fn submissions_of_receipt(
        &self,
        receipt_sha256: &str,
    ) -> Result<Vec<Submission>, RegistryError> {
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submission WHERE receipt_sha256 = ?1 ORDER BY seq"
        );
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map(
                [receipt_sha256.trim().to_ascii_lowercase()],
                submission_from_row,
            )?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The submission `id`, if there is one.
    pub fn submission(&self, id: i64) -> Result<Option<Submission>, RegistryError> {
        submission_row(&self.conn, id)
    }

    /// Submissions with `status` (all if `None`), newest first.
    pub fn submissions(
        &self,
        status: Option<SubmissionStatus>,
    ) -> Result<Vec<Submission>, RegistryError> {
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submission
              WHERE (?1 IS NULL OR status = ?1) ORDER BY id DESC"
        );
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map([status], submission_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// How many submissions there are in each status.
    pub fn submission_counts(&self) -> Result<Vec<(SubmissionStatus, u64)>, RegistryError> {
        let mut out = Vec::new();
        for status in SubmissionStatus::ALL {
            let n: i64 = self.conn.query_row(
                "SELECT count(*) FROM submission WHERE status = ?1",
                [status],
                |r| r.get(0),
            )?;
            out.push((status, u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }

    /// The office corrects a submission not yet filed (pending or returned;
    /// its status stays): new record text, unit and name, and a `corrected`
    /// event whose `detail` (from the caller) says which fields changed.
    /// A filed one is refused ([`RegistryError::NotPending`]): it is
    /// corrected as a filing. With `seen` (the SHA-256 of the record the
    /// office looked at), a record changed since is refused
    /// ([`RegistryError::SubmissionChanged`]).
    #[allow(clippy::too_many_arguments)] // The service's call, field by field.
    pub fn correct_submission(
        &mut self,
        id: i64,
        record: &str,
        unit: &str,
        name: &str,
        actor: &str,
        detail: &str,
        seen: Option<&str>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), RegistryError> {
        let change = Change {
            id,
            open_to: |s| s != SubmissionStatus::Filed,
            seen,
            actor,
            action: "corrected",
            detail,
        };
        self.change(change, now, |tx, at| {
            tx.prepare_cached(
                "UPDATE submission SET record = ?2, unit = ?3, name = ?4, updated_at = ?5
                  WHERE id = ?1",
            )?
            .execute(params![id, record, unit, name, at])?;
            Ok(())
        })
    }

    /// Returns a pending submission to its unit with a reason the unit sees
    /// (event `returned`, detail the reason). Only a pending one:
    /// else [`RegistryError::NotPending`].
    pub fn return_submission(
        &mut self,
        id: i64,
        reason: &str,
        actor: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), RegistryError> {
        let change = Change {
            id,
            open_to: |s| s == SubmissionStatus::Pending,
            seen: None,
            actor,
            action: "returned",
            detail: reason,
        };
        self.change(change, now, |tx, at| {
            tx.prepare_cached(
                "UPDATE submission SET status = ?2, reason = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, SubmissionStatus::Returned, reason, at])?;
            Ok(())
        })
    }

    /// The unit submits again under the same receipt, after a return or
    /// while the office has not yet decided: new record text, unit and name,
    /// pending (a return's reason cleared), event `resubmitted`. A filed one
    /// is refused ([`RegistryError::NotPending`]): it is corrected as a
    /// filing. With `seen`, as [`Registry::correct_submission`].
    #[allow(clippy::too_many_arguments)] // The service's call, field by field.
    pub fn resubmit(
        &mut self,
        id: i64,
        record: &str,
        unit: &str,
        name: &str,
        detail: &str,
        seen: Option<&str>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), RegistryError> {
        let change = Change {
            id,
            open_to: |s| s != SubmissionStatus::Filed,
            seen,
            actor: UNIT_ACTOR,
            action: "resubmitted",
            detail,
        };
        self.change(change, now, |tx, at| {
            tx.prepare_cached(
                "UPDATE submission
                    SET record = ?2, unit = ?3, name = ?4, status = ?5, reason = NULL,
                        updated_at = ?6
                  WHERE id = ?1",
            )?
            .execute(params![
                id,
                record,
                unit,
                name,
                SubmissionStatus::Pending,
                at
            ])?;
            Ok(())
        })
    }

    /// One change of a submission, in one write transaction: refused unless
    /// its status is open to it (and, with `seen`, its record is the one
    /// seen), then `update` and the change's event.
    fn change(
        &mut self,
        change: Change<'_>,
        now: DateTime<FixedOffset>,
        update: impl FnOnce(&rusqlite::Transaction<'_>, &str) -> Result<(), RegistryError>,
    ) -> Result<(), RegistryError> {
        let at = rfc3339(now);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sub =
            submission_row(&tx, change.id)?.ok_or(RegistryError::UnknownSubmission(change.id))?;
        if !(change.open_to)(sub.status) {
            return Err(not_pending(change.id, sub.status));
        }
        if change
            .seen
            .is_some_and(|seen| seen != super::sha256_hex(&sub.record))
        {
            return Err(RegistryError::SubmissionChanged { id: change.id });
        }
        update(&tx, &at)?;
        add_event(
            &tx,
            &at,
            change.actor,
            Some(change.id),
            None,
            change.action,
            change.detail,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Approves a pending submission by filing `req` exactly as
    /// [`Registry::file`] does (serial assigned and `render` called inside
    /// one write transaction), and in that same transaction marks the
    /// submission filed with its serial and version and writes an
    /// `approved` event (detail the serial). If the submission is no longer
    /// pending when the transaction holds the lock
    /// ([`RegistryError::NotPending`]), or `render` fails, nothing is filed:
    /// two approvals racing file once.
    ///
    /// `req` is what gets filed, whatever the submission holds by then; see
    /// [`Registry::approve_as_reviewed`] to file only what was reviewed.
    pub fn approve_submission<E>(
        &mut self,
        id: i64,
        actor: &str,
        req: &FilingRequest<'_>,
        render: impl FnOnce(&Filed) -> Result<Vec<Output>, E>,
    ) -> Result<(Filed, Vec<Output>), FileError<E>> {
        self.approve(id, None, actor, req, render)
    }

    /// [`Registry::approve_submission`] of `reviewed`, refused
    /// ([`RegistryError::SubmissionChanged`], nothing filed) if its record
    /// changed since it was read (the unit submitted it again, or another
    /// office user corrected it): the office files only what it has seen.
    pub fn approve_as_reviewed<E>(
        &mut self,
        reviewed: &Submission,
        actor: &str,
        req: &FilingRequest<'_>,
        render: impl FnOnce(&Filed) -> Result<Vec<Output>, E>,
    ) -> Result<(Filed, Vec<Output>), FileError<E>> {
        self.approve(reviewed.id, Some(&reviewed.record), actor, req, render)
    }

    fn approve<E>(
        &mut self,
        id: i64,
        reviewed: Option<&str>,
        actor: &str,
        req: &FilingRequest<'_>,
        render: impl FnOnce(&Filed) -> Result<Vec<Output>, E>,
    ) -> Result<(Filed, Vec<Output>), FileError<E>> {
        // Every check twice: first so that a refused approval is not
        // rendered for nothing, then under the lock, the one that counts.
        let check = |conn: &Connection| -> Result<Submission, RegistryError> {
            let sub = submission_row(conn, id)?.ok_or(RegistryError::UnknownSubmission(id))?;
            if sub.status != SubmissionStatus::Pending {
                return Err(not_pending(id, sub.status));
            }
            if reviewed.is_some_and(|seen| seen != sub.record) {
                return Err(RegistryError::SubmissionChanged { id });
            }
            if sub.form != req.form {
                return Err(RegistryError::Internal(format!(
                    "submission {id} is a {} record, filed as {}",
                    sub.form.key(),
                    req.form.key()
                )));
            }
            Ok(sub)
        };
        check(&self.conn)?;
        let at = rfc3339(req.now);
        self.file_then(req, render, |tx, filed| {
            let Some(filed) = filed.first() else {
                return Err(RegistryError::Internal("approved without a filing".into()));
            };
            check(tx)?;
            tx.prepare_cached(
                "UPDATE submission SET status = ?2, serial = ?3, version = ?4, updated_at = ?5
                  WHERE id = ?1",
            )?
            .execute(params![
                id,
                SubmissionStatus::Filed,
                filed.serial,
                filed.version,
                at
            ])?;
            add_event(
                tx,
                &at,
                actor,
                Some(id),
                Some(&filed.serial),
                "approved",
                &filed.serial,
            )
        })
    }

    /// The history of a serial, oldest first: its own events and those of
    /// the submissions that became it.
    pub fn events_of_serial(&self, serial: &str) -> Result<Vec<Event>, RegistryError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM event
              WHERE serial = ?1 OR submission IN (SELECT id FROM submission WHERE serial = ?1)
              ORDER BY id"
        );
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map([serial], event_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The id of the newest event (0 for none, or for a registry from before
    /// the service): a restore compares it with the backup's.
    pub fn last_event_id(&self) -> Result<i64, RegistryError> {
        let has_table: bool = self.conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'event'",
            [],
            |r| r.get(0),
        )?;
        if !has_table {
            return Ok(0);
        }
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM event", [], |r| r.get(0))?)
    }

    /// Events newer than `id`, oldest first.
    pub fn events_after(&self, id: i64) -> Result<Vec<Event>, RegistryError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM event WHERE id > ?1 ORDER BY id");
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map([id], event_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The history of a submission, oldest first.
    pub fn events_of_submission(&self, id: i64) -> Result<Vec<Event>, RegistryError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM event WHERE submission = ?1 ORDER BY id");
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map([id], event_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Creates an office user or replaces their password. `password_hash`
    /// is an argon2id PHC string (`$argon2id$...`) the caller made: a
    /// password is never stored. The `password` event names the user as its
    /// actor and keeps no hash.
    pub fn set_office_user(
        &mut self,
        name: &str,
        password_hash: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), RegistryError> {
        if name.trim().is_empty() {
            return Err(RegistryError::Internal(
                "an office user needs a name".into(),
            ));
        }
        if !password_hash.starts_with("$argon2id$") {
            return Err(RegistryError::Internal(
                "an office user's password must be an argon2id PHC string".into(),
            ));
        }
        let at = rfc3339(now);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO office_user (name, password_hash, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (name) DO UPDATE
                SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        )?
        .execute(params![name, password_hash, at])?;
        add_event(&tx, &at, name, None, None, "password", "设置口令")?;
        tx.commit()?;
        Ok(())
    }

    /// Removes office user `name` (a `password` event says so): whether
    /// there was one.
    pub fn remove_office_user(
        &mut self,
        name: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, RegistryError> {
        let at = rfc3339(now);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed = tx
            .prepare_cached("DELETE FROM office_user WHERE name = ?1")?
            .execute([name])?;
        if removed > 0 {
            add_event(&tx, &at, name, None, None, "password", "删除登录")?;
        }
        tx.commit()?;
        Ok(removed > 0)
    }

    /// The password hash of office user `name`, if there is one.
    pub fn office_user_hash(&self, name: &str) -> Result<Option<String>, RegistryError> {
        Ok(self
            .conn
            .prepare_cached("SELECT password_hash FROM office_user WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    /// The office users' names, sorted.
    pub fn office_users(&self) -> Result<Vec<String>, RegistryError> {
        let rows = self
            .conn
            .prepare_cached("SELECT name FROM office_user ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Whether any office user exists (the service refuses to start without).
    pub fn has_office_users(&self) -> Result<bool, RegistryError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM office_user LIMIT 1")?
            .exists([])?)
    }
}

/// A receipt's SHA-256 as stored: 64 lower-case hex digits.
fn receipt_key(receipt_sha256: &str) -> Result<String, RegistryError> {
    let key = receipt_sha256.trim().to_ascii_lowercase();
    if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(key)
    } else {
        Err(RegistryError::Internal(
            "a receipt is stored as the SHA-256 hex of its code".into(),
        ))
    }
}

/// What changes a submission, and the event that says so.
struct Change<'a> {
    id: i64,
    /// The statuses the change may be made in.
    open_to: fn(SubmissionStatus) -> bool,
    /// SHA-256 of the record as the one changing it saw it.
    seen: Option<&'a str>,
    actor: &'a str,
    action: &'a str,
    detail: &'a str,
}

fn not_pending(id: i64, status: SubmissionStatus) -> RegistryError {
    RegistryError::NotPending {
        id,
        status: status.key().into(),
    }
}

/// The status of submission `id` ([`RegistryError::UnknownSubmission`] if
/// there is none).
fn submission_row(conn: &Connection, id: i64) -> Result<Option<Submission>, RegistryError> {
    let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submission WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], submission_from_row)
        .optional()?)
}

fn submission_from_row(row: &Row<'_>) -> rusqlite::Result<Submission> {
    Ok(Submission {
        id: row.get(0)?,
        seq: row.get(1)?,
        form: row.get(2)?,
        unit: row.get(3)?,
        name: row.get(4)?,
        record: row.get(5)?,
        origin: row.get(6)?,
        status: row.get(7)?,
        reason: row.get(8)?,
        serial: row.get(9)?,
        version: row.get(10)?,
        submitted_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: row.get(0)?,
        at: row.get(1)?,
        actor: row.get(2)?,
        submission: row.get(3)?,
        serial: row.get(4)?,
        action: row.get(5)?,
        detail: row.get(6)?,
    })
}

pub(super) fn add_event(
    conn: &Connection,
    at: &str,
    actor: &str,
    submission: Option<i64>,
    serial: Option<&str>,
    action: &str,
    detail: &str,
) -> Result<(), RegistryError> {
    conn.prepare_cached(
        "INSERT INTO event (at, actor, submission, serial, action, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![at, actor, submission, serial, action, detail])?;
    Ok(())
}
