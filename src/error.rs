//! Errors and exit codes.
//!
//! Users see Chinese messages naming the field by its dotted path and by the
//! label printed on the form. Exit codes: 0 ok, 1 rejected input, 2 usage, I/O
//! or internal failure.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

/// One thing wrong with a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the field, e.g. `principal.mobile`; empty for the whole record.
    pub path: String,
    /// How the form prints the field, e.g. `第一责任人·手机`.
    pub label: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.path.is_empty(), self.label.is_empty()) {
            (true, _) => write!(f, "{}", self.message),
            (false, true) => write!(f, "{}：{}", self.path, self.message),
            (false, false) => write!(f, "{}（{}）：{}", self.path, self.label, self.message),
        }
    }
}

/// Everything that can stop a command.
#[derive(Debug)]
pub enum Error {
    /// A record has problems; all of them are listed.
    Rejected {
        source: String,
        violations: Vec<Violation>,
    },
    /// A record is not valid TOML/JSON.
    Syntax {
        source: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A record file with several syntax errors: all of them, in order.
    Syntaxes {
        source: String,
        /// (line, column, message), 1-based.
        errors: Vec<(usize, usize, String)>,
    },
    /// A check the user asked for came out negative (e.g. `verify`): said as is.
    Negative(String),
    /// Several records failed; each is reported in full.
    Many(Vec<Error>),
    /// With `--keep-going`: `done` records were filed, these were not.
    Partial { done: usize, rejected: Vec<Error> },
    /// The command line asks for something impossible.
    Usage(String),
    /// Reading or writing a file failed.
    Io {
        path: PathBuf,
        action: &'static str,
        error: std::io::Error,
    },
    /// An output could not be rendered (a bug or a broken installation).
    Render(crate::render::RenderError),
    /// A filed output regenerates to other bytes than were filed: this beian
    /// renders differently from the one that filed it.
    Drift {
        serial: String,
        version: u32,
        file: String,
        copies: u32,
        /// The SHA-256 stored when it was filed.
        filed_sha256: String,
        /// The beian that filed it.
        filed_by: String,
    },
    /// An office's edited form files have mistakes: each with its file and line.
    Form(Vec<String>),
    /// The registry cannot be used (not a registry, too new, busy, a bad
    /// `beian.toml`): what to do is in the message.
    Registry(String),
    /// A bug or a broken installation.
    Internal(String),
}

impl From<crate::render::RenderError> for Error {
    fn from(e: crate::render::RenderError) -> Self {
        Error::Render(e)
    }
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Rejected { .. }
            | Error::Syntax { .. }
            | Error::Syntaxes { .. }
            | Error::Negative(_) => ExitCode::from(1),
            Error::Many(all) if all.iter().all(Error::is_rejection) => ExitCode::from(1),
            Error::Partial { rejected, .. } if rejected.iter().all(Error::is_rejection) => {
                ExitCode::from(1)
            }
            _ => ExitCode::from(2),
        }
    }

    /// Whether the input was at fault (exit 1) rather than the command or the machine.
    pub fn is_rejection(&self) -> bool {
        match self {
            Error::Rejected { .. }
            | Error::Syntax { .. }
            | Error::Syntaxes { .. }
            | Error::Negative(_) => true,
            Error::Many(all) => all.iter().all(Error::is_rejection),
            Error::Partial { rejected, .. } => rejected.iter().all(Error::is_rejection),
            _ => false,
        }
    }

    pub fn io(path: impl Into<PathBuf>, action: &'static str, error: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            action,
            error,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Rejected { source, violations } => {
                write!(
                    f,
                    "{source}：有 {} 处需要修改，没有生成文件：",
                    violations.len()
                )?;
                for v in violations {
                    write!(f, "\n  - {v}")?;
                }
                Ok(())
            }
            Error::Syntax {
                source,
                line,
                column,
                message,
            } => write!(
                f,
                "{source}:{line}:{column}：第 {line} 行第 {column} 列格式错误，没有生成文件：{message}"
            ),
            Error::Syntaxes { source, errors } => {
                write!(
                    f,
                    "{source}：有 {} 处格式错误，没有生成文件：",
                    errors.len()
                )?;
                for (line, column, message) in errors {
                    write!(f, "\n  - {source}:{line}:{column}：第 {line} 行：{message}")?;
                }
                Ok(())
            }
            Error::Many(all) => {
                let records = all.iter().all(|e| {
                    matches!(
                        e,
                        Error::Rejected { .. } | Error::Syntax { .. } | Error::Syntaxes { .. }
                    )
                });
                match records {
                    true => write!(f, "{} 份记录需要修改，没有生成任何文件。", all.len())?,
                    false => write!(f, "{} 个问题，没有生成任何文件。", all.len())?,
                }
                for e in all {
                    write!(f, "\n\n{e}")?;
                }
                Ok(())
            }
            Error::Partial { done, rejected } => {
                write!(
                    f,
                    "以下 {} 份没有备案，需要修改；其余 {done} 份已备案、已生成。",
                    rejected.len()
                )?;
                for e in rejected {
                    write!(f, "\n\n{e}")?;
                }
                Ok(())
            }
            Error::Negative(m) => write!(f, "{m}"),
            Error::Usage(m) => write!(f, "用法错误：{m}"),
            Error::Io {
                path,
                action,
                error,
            } => write!(
                f,
                "无法{action}「{}」：{}",
                path.display(),
                io_reason(error)
            ),
            Error::Render(e) => write!(f, "内部错误：无法生成{e}（请把此信息告知维护者）"),
            Error::Drift {
                serial,
                version,
                file,
                copies,
                filed_sha256,
                filed_by,
            } => write!(
                f,
                "{serial} 第 {version} 版的 {file}（{copies} 份）重新生成后与备案时的文件不一致（登记的 SHA-256 为 {filed_sha256}）；\
                 备案时使用的是 beian {filed_by}，本程序是 {}",
                env!("CARGO_PKG_VERSION")
            ),
            Error::Registry(m) => write!(f, "{m}"),
            Error::Form(problems) => {
                write!(f, "表格文件有误，没有生成任何文件：")?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
            Error::Internal(m) => write!(f, "内部错误：{m}（请把此信息告知维护者）"),
        }
    }
}

impl std::error::Error for Error {}

/// A value as quoted in a message: long ones cut short, so the message stays readable.
pub fn abbreviate(value: &str) -> String {
    const KEEP: usize = 24;
    if value.chars().count() <= KEEP + 6 {
        value.to_owned()
    } else {
        format!("{}……", value.chars().take(KEEP).collect::<String>())
    }
}

/// The reason of an I/O error, in Chinese where it is a common one.
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "文件或目录不存在".into(),
        K::PermissionDenied => "没有权限".into(),
        K::AlreadyExists => "已有同名的文件".into(),
        K::IsADirectory => "这是一个文件夹，不是文件".into(),
        K::NotADirectory => "路径中有一项是文件而不是文件夹".into(),
        K::StorageFull => "磁盘已满；请腾出空间后重试".into(),
        K::QuotaExceeded => "超出了磁盘配额；请腾出空间后重试".into(),
        K::ReadOnlyFilesystem => "所在磁盘是只读的；请换一个可写的位置".into(),
        K::FileTooLarge => "文件太大".into(),
        K::InvalidFilename => "文件名不可用（太长或含有不允许的字符）".into(),
        // EIO: the disk itself failed.
        _ if e.raw_os_error() == Some(5) => "磁盘读写出错；请检查磁盘（是否已拔出或损坏）".into(),
        _ => format!("系统错误（{e}）"),
    }
}
