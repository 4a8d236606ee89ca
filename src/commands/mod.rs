//! The commands: each takes a validated [`crate::cli::Command`]'s parts, does
//! its work and says what it did through a [`Say`], line by line as it
//! happens, so that a failure part way still leaves the user told what was
//! done. Only `main` prints.

mod backup;
mod blank;
mod check;
mod draft;
mod init;
mod list;
mod print;
pub mod regen;
pub mod register;
pub mod render;
mod scan;
mod serials;
mod show;
mod verify;

use std::path::Path;

pub use blank::{BlankJob, blank};
pub use check::check;
pub use draft::render_draft;
pub use init::{init, template};
pub use list::{list, list_csv};
pub use print::PrintOrder;
pub use regen::regen;
pub use register::register;
pub use render::{RenderJob, render, render_filed};
pub use show::show;
pub use verify::verify;

use crate::batch;
use crate::cli::{Command, Invocation};
use crate::error::{Error, Violation};
use crate::form::{FormSpec, Forms, export, use_forms};
use crate::io::Source;
use crate::layout::LayoutOptions;
use crate::pipeline::{self, Prepared};
use crate::record::{FormKind, Syntax};
use crate::registry::{Registry, RegistryConfig, RegistryError};
use crate::settings::Settings;

/// Where a command says what it did, a line at a time.
pub type Say<'a> = &'a mut dyn FnMut(&str);

/// Where a long command tells how far it has got: `main` shows a progress
/// bar from it, only where someone is watching (a terminal).
pub type Tell<'a> = &'a mut dyn FnMut(Progress);

/// How far a command has got through its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A stage starts, with how many records it will go through.
    Begin { stage: Stage, total: usize },
    /// One more record done.
    Step,
    /// The stage is over.
    End,
}

/// The stages a batch goes through, each with its own bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading, validating and laying out every record.
    Check,
    /// Filing and rendering (or rendering drafts).
    Render,
    /// Drawing the forms into the print job (`--combine`).
    Print,
}

impl Stage {
    /// What the bar says the stage is doing.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Check => "检查",
            Stage::Render => "生成",
            Stage::Print => "打印文件",
        }
    }
}

/// Runs a command line: with the office's forms, if it has its own.
pub fn run(invocation: Invocation, say: Say<'_>, tell: Tell<'_>) -> Result<(), Error> {
    let Invocation { settings, command } = invocation;
    if let Some(dir) = &settings.forms
        && !matches!(command, Command::Help(_) | Command::ExportForms(_))
    {
        use_forms(Forms::load(dir)?);
    }
    match command {
        Command::Help(text) => {
            say(text.trim_end());
            Ok(())
        }
        Command::ExportForms(dir) => {
            for path in export(&dir)? {
                say(&format!("已导出 {}", path.display()));
            }
            say("修改后用 --forms 指定这个文件夹，或在 beian.toml 中写 forms = \"文件夹\"");
            Ok(())
        }
        Command::Init(form) => init(form, say),
        Command::Blank(job) => blank(job, &settings, say),
        Command::InitRoster(path) => {
            let xlsx = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            if !xlsx {
                return Err(Error::Usage(format!(
                    "名单要写成 .xlsx 文件（如 名单.xlsx），「{}」不是",
                    path.display()
                )));
            }
            if path.exists() {
                // It may be a roster already filled in.
                return Err(Error::Usage(format!(
                    "「{}」已存在，没有覆盖；请换一个文件名",
                    path.display()
                )));
            }
            let bytes = batch::fill_in_workbook()?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "创建目录", e))?;
            }
            crate::io::write_atomic(&path, &bytes)?;
            say(&format!(
                "已生成 {}：每种表格一个工作表，下拉选择类型和是/否；填好后 beian check 检查",
                path.display()
            ));
            Ok(())
        }
        Command::Check { sources, syntax } => check(sources, syntax, say, tell),
        Command::Render(job) => render(job, &settings, say, tell),
        Command::Regen {
            serials,
            version,
            exact,
            output,
        } => regen(
            &open_existing(&settings)?,
            &serials,
            version,
            exact,
            &output,
            say,
        ),
        Command::Verify { files } => verify(&open_existing(&settings)?, &files, say),
        Command::List { filter, csv } => list(&open_existing(&settings)?, &filter, csv, say),
        Command::Register { filter, output } => {
            let printed = chrono::Local::now().format("%Y-%m-%d").to_string();
            register(&open_existing(&settings)?, &filter, &output, &printed, say)
        }
        Command::Show { serial } => show(&open_existing(&settings)?, &serial, say),
        Command::Backup(file) => backup::backup(&open_existing(&settings)?, &file, say),
        Command::Restore { file, force } => backup::restore(&settings, &file, force, say),
        Command::Serve(options) => crate::serve::serve(open(&settings)?, options, say),
        Command::SetPassword(user) => set_password(&mut open(&settings)?, &user, say),
        Command::RemoveUser(user) => {
            let mut registry = open(&settings)?;
            let removed = registry
                .remove_office_user(&user, chrono::Local::now().fixed_offset())
                .map_err(|e| registry_error(registry.path(), e))?;
            match removed {
                true => {
                    say(&format!(
                        "已删除「{user}」的登录；正在运行的服务会让其退出登录"
                    ));
                    Ok(())
                }
                false => {
                    let users = registry
                        .office_users()
                        .map_err(|e| registry_error(registry.path(), e))?;
                    Err(Error::Usage(format!(
                        "没有名为「{user}」的办公室用户；现有：{}",
                        match users.is_empty() {
                            true => "（无）".to_owned(),
                            false => users.join("、"),
                        }
                    )))
                }
            }
        }
    }
}

/// `serve --set-password`: asks for the password twice without echo (or
/// reads one line when standard input is not a terminal, for scripts) and
/// keeps its argon2id hash in the registry.
fn set_password(registry: &mut Registry, user: &str, say: Say<'_>) -> Result<(), Error> {
    use std::io::IsTerminal;
    let read = |prompt: &str| -> Result<String, Error> {
        match std::io::stdin().is_terminal() {
            true => {
                rpassword::prompt_password(prompt).map_err(|e| Error::io("终端", "读取口令", e))
            }
            false => {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| Error::io("标准输入", "读取口令", e))?;
                Ok(line.trim_end_matches(['\r', '\n']).to_owned())
            }
        }
    };
    let password = read(&format!(
        "为「{user}」设置办公室口令（至少 8 个字符，输入时不显示）："
    ))?;
    if let Some(why) = crate::serve::auth::password_problem(&password) {
        return Err(Error::Usage(format!("{why}；口令没有设置")));
    }
    if std::io::stdin().is_terminal() && read("再输入一遍：")? != password {
        return Err(Error::Usage(
            "两次输入的口令不一致；口令没有设置".to_owned(),
        ));
    }
    let hash = crate::serve::auth::hash_password(&password)?;
    registry
        .set_office_user(user, &hash, chrono::Local::now().fixed_offset())
        .map_err(|e| registry_error(registry.path(), e))?;
    say(&format!(
        "已为「{user}」设置口令（登记簿 {}）；用浏览器打开服务地址 /office 登录",
        registry.path().display()
    ));
    Ok(())
}

/// The spec a filing was made with, from the text the registry kept, or
/// the one in use for a filing being made now.
pub fn filing_spec(stored: Option<&str>, form: FormKind) -> Result<&'static FormSpec, Error> {
    match stored {
        Some(text) if crate::registry::sha256_hex(text) != FormSpec::get(form).sha256 => {
            crate::form::stored(text).map_err(|e| {
                Error::Registry(format!(
                    "登记簿中保存的表格（备案时所用的版本）无法读取：{e}；它可能由更新版本的 beian 写入，请升级 beian"
                ))
            })
        }
        _ => Ok(FormSpec::get(form)),
    }
}

/// How users and messages call a form: as the form spells it.
pub fn form_name(form: FormKind) -> &'static str {
    &FormSpec::get(form).name
}

/// Up to how many records a batch keeps their layouts from checking to
/// rendering (about 110 KB each), so that filing lays each out once.
const KEEP_LAYOUTS: usize = 50;

/// Prepares every record; if any is rejected, reports all rejections.
fn prepare_all(
    sources: Vec<Source>,
    syntax: Option<Syntax>,
    options: LayoutOptions,
    tell: Tell<'_>,
) -> Result<Vec<Prepared>, Error> {
    let (prepared, failures) = prepare_each(sources, syntax, options, tell)?;
    match failures {
        None => Ok(prepared),
        Some(e) => Err(e),
    }
}

/// How many records are checked at once (see [`prepare_each`]).
const PREPARE_AT_ONCE: usize = 64;

/// Prepares every record: those that passed, and all the rejections of the
/// others (every record is read and checked, whatever goes wrong with one).
fn prepare_each(
    sources: Vec<Source>,
    syntax: Option<Syntax>,
    options: LayoutOptions,
    tell: Tell<'_>,
) -> Result<(Vec<Prepared>, Option<Error>), Error> {
    if sources.iter().filter(|s| **s == Source::Stdin).count() > 1 {
        return Err(Error::Usage("标准输入「-」只能用一次".into()));
    }
    let mut prepared = Vec::new();
    let mut failures = Vec::new();
    let entries = batch::expand(sources, syntax);
    tell(Progress::Begin {
        stage: Stage::Check,
        total: entries.len(),
    });
    // A big roster keeps its records, not their layouts (memory stays flat).
    let keep_layouts = entries.len() <= KEEP_LAYOUTS;
    // Checked and laid out on every core, a few dozen at a time so that
    // progress is said as it is made; the order stays the roster's.
    let mut entries = entries.into_iter();
    loop {
        let chunk: Vec<_> = entries.by_ref().take(PREPARE_AT_ONCE).collect();
        if chunk.is_empty() {
            break;
        }
        let results: Vec<Result<Prepared, Error>> = crate::par::map_owned(chunk, |entry| {
            let mut p = entry.and_then(|entry| pipeline::prepare(entry, options))?;
            if !keep_layouts {
                p.forget_layout();
            }
            Ok(p)
        });
        for result in results {
            match result {
                Ok(p) => prepared.push(p),
                Err(e) => failures.push(e),
            }
            tell(Progress::Step);
        }
    }
    tell(Progress::End);
    let prepared = same_subject_once(prepared, &mut failures);
    Ok((prepared, many(failures)))
}

/// A batch names each account and group once: a new row that names one a
/// new row before it names (the same 账号id or 群号, or the same platform and name)
/// with other content is rejected, naming that row — filed, they would be
/// two serials for one account. A row repeated as it is stays: it is one
/// filing, printed once.
fn same_subject_once(prepared: Vec<Prepared>, failures: &mut Vec<Error>) -> Vec<Prepared> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut rejected: Vec<Option<Error>> = prepared.iter().map(|_| None).collect();
    for (i, p) in prepared.iter().enumerate() {
        // A record with a serial or uuid is that filing (checked against
        // the registry and the batch by serial and uuid when filed).
        if p.stamp.serial.is_some() || p.stamp.uuid.is_some() {
            continue;
        }
        for key in p.record.subject_keys() {
            let earlier = seen.get(&key.key).and_then(|&j| prepared.get(j));
            match earlier {
                Some(o) if o.record != p.record || o.stamp != p.stamp => {
                    if let Some(slot @ None) = rejected.get_mut(i) {
                        let what = p.record.subject_word();
                        *slot = Some(Error::Rejected {
                            source: p.origin.name(),
                            violations: vec![Violation {
                                path: key.path.to_owned(),
                                label: FormSpec::get(p.record.form).label(key.path).to_owned(),
                                message: format!(
                                    "与{}是同一个{what}（{}），内容却不同；一个{what}只备案一次，请删去其中一份或改正",
                                    o.origin.name(),
                                    key.said
                                ),
                            }],
                        });
                    }
                }
                Some(_) => {}
                None => {
                    seen.insert(key.key, i);
                }
            }
        }
    }
    let mut kept = Vec::with_capacity(prepared.len());
    for (p, rejection) in prepared.into_iter().zip(rejected) {
        match rejection {
            Some(e) => failures.push(e),
            None => kept.push(p),
        }
    }
    kept
}

/// One error for several, or none.
fn many(mut errors: Vec<Error>) -> Option<Error> {
    match errors.len() {
        0 => None,
        1 => Some(errors.remove(0)),
        _ => Some(Error::Many(errors)),
    }
}

/// Opens (creating if needed, with its folder) the registry the settings
/// name, numbering serials as the `[serial]` of the `beian.toml` that named
/// it says, else as the one beside it says.
pub fn open(settings: &Settings) -> Result<Registry, Error> {
    let path = settings.registry()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "创建登记簿所在的文件夹", e))?;
    }
    let config = registry_config(settings, path)?;
    Registry::open_with_config(path, config).map_err(|e| registry_error(path, e))
}

/// The numbering of the registry at `path`: the `[serial]` of the
/// `beian.toml` that named it, else of the one beside it.
fn registry_config(settings: &Settings, path: &Path) -> Result<RegistryConfig, Error> {
    let named_here = settings.registry_from == crate::settings::Origin::SettingsFile;
    let naming = match (&settings.file, named_here) {
        (Some(file), true) => {
            let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, "读取", e))?;
            let has_serial = text
                .parse::<toml::Table>()
                .is_ok_and(|t| t.contains_key("serial"));
            has_serial.then_some((file, text))
        }
        _ => None,
    };
    let config = match naming {
        Some((file, text)) => RegistryConfig::from_toml(&text)
            .map_err(|e| Error::Registry(format!("编号格式配置有误（{}）：{e}", file.display())))?,
        None => RegistryConfig::load_beside(path).map_err(|e| registry_error(path, e))?,
    };
    Ok(config)
}

/// Opens a registry that must already exist, for reading only: reading
/// commands never create one, never write, and work on a read-only disk.
fn open_existing(settings: &Settings) -> Result<Registry, Error> {
    let path = settings.registry()?;
    if !path.exists() {
        return Err(Error::Registry(format!(
            "还没有{}：尚未备案过任何表格，或登记簿在别处——请用 --registry 指定",
            settings.registry_line()
        )));
    }
    let config = registry_config(settings, path)?;
    match Registry::open_read_only(path, config.clone()) {
        // An older schema is migrated by opening it for writing once.
        Err(RegistryError::SchemaTooOld { .. }) => open(settings),
        other => other.map_err(|e| registry_error(path, e)),
    }
}

/// A registry error, in Chinese for what a user can act on.
pub fn registry_error(path: &Path, e: RegistryError) -> Error {
    let shown = path.display();
    match e {
        RegistryError::UnknownSerial(s) => Error::Rejected {
            source: format!("编号 {s}"),
            violations: vec![serial_violation(format!(
                "「{s}」不在登记簿（{shown}）中；手工编号的旧表请加 --import 登记"
            ))],
        },
        RegistryError::WrongForm { serial, form } => Error::Rejected {
            source: format!("编号 {serial}"),
            violations: vec![serial_violation(format!(
                "「{serial}」是{}的编号，不能用于另一种表格",
                form_name(form)
            ))],
        },
        RegistryError::BadSerial(m) => Error::Rejected {
            source: "编号".into(),
            violations: vec![serial_violation(format!("编号不可用：{m}"))],
        },
        RegistryError::BadUuid(u) => Error::Rejected {
            source: "记录标识".into(),
            violations: vec![Violation {
                path: "uuid".into(),
                label: "记录标识".into(),
                message: format!("「{u}」不是有效的 UUID"),
            }],
        },
        RegistryError::Drift {
            serial,
            version,
            kind,
            ..
        } => Error::Registry(format!(
            "{serial} 第 {version} 版的 {kind} 与备案时登记的不一致：本版本的 beian 生成的文件与当初不同；\
             请用当初的 beian 版本重新生成，或把记录作为更正重新备案"
        )),
        RegistryError::BadTemplate(m) | RegistryError::Config(m) => Error::Registry(format!(
            "编号格式配置有误（{}）：{m}",
            RegistryConfig::path_beside(path).display()
        )),
        RegistryError::SchemaTooNew { found, supported } => Error::Registry(format!(
            "登记簿「{shown}」由更新版本的 beian 写入（结构版本 {found}，本程序支持 {supported}）；请升级 beian"
        )),
        RegistryError::Duplicate { serial } => Error::Rejected {
            source: format!("编号 {serial}"),
            violations: vec![serial_violation(format!(
                "这个帐号或群刚刚已备案为 {serial}（另一处同时在备案）；要更正它，请在记录里写上 serial = \"{serial}\"；确是另一个，请加 --allow-duplicate"
            ))],
        },
        RegistryError::WalOnReadOnlyDisk => Error::Registry(format!(
            "登记簿「{shown}」在只读的磁盘上，还有最近的备案没有并入主文件（{shown}-wal）：只读时读不全，没有下任何结论；请把登记簿连同 -wal 文件复制到可写的位置，用 --registry 指向副本再查看"
        )),
        RegistryError::SchemaTooOld { found } => Error::Registry(format!(
            "登记簿「{shown}」是旧版本 beian 的格式（结构版本 {found}），只读时无法升级；请在可写的位置用 beian 备案或 beian backup 一次，再读取"
        )),
        RegistryError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
            use rusqlite::ErrorCode as C;
            match f.code {
                C::DatabaseCorrupt => Error::Registry(format!(
                    "登记簿「{shown}」已损坏，这次没有做任何改动；请用备份恢复：beian restore 备份文件 --registry {shown}"
                )),
                C::NotADatabase => Error::Registry(format!(
                    "「{shown}」不是 beian 的登记簿（SQLite 数据库），或已损坏；请检查 --registry 指向的文件，损坏的请用备份恢复：beian restore 备份文件"
                )),
                C::DiskFull => Error::Registry(format!(
                    "磁盘已满，登记簿「{shown}」无法写入，这次没有备案任何表格；请腾出磁盘空间后重试"
                )),
                C::ReadOnly => Error::Registry(format!(
                    "登记簿「{shown}」是只读的（文件或所在磁盘不可写），无法备案；请检查文件权限，或用 --registry 指向可写的位置"
                )),
                C::PermissionDenied | C::CannotOpen
                    if std::fs::OpenOptions::new()
                        .append(true)
                        .open(path)
                        .is_err_and(|e| e.kind() == std::io::ErrorKind::ReadOnlyFilesystem) =>
                {
                    Error::Registry(format!(
                        "登记簿「{shown}」所在的磁盘是只读的，无法备案（查看、核验、重新生成可以照常进行）；请把登记簿放到可写的位置，或用 --registry 指定"
                    ))
                }
                C::PermissionDenied | C::CannotOpen => Error::Registry(format!(
                    "无法打开登记簿「{shown}」：没有权限，或所在文件夹不存在；请检查 --registry 指向的位置和权限"
                )),
                C::SystemIoFailure if disk_is_full(path) => Error::Registry(format!(
                    "磁盘已满，登记簿「{shown}」无法写入，这次没有备案任何表格；请腾出磁盘空间后重试"
                )),
                C::SystemIoFailure => Error::Registry(format!(
                    "读写登记簿「{shown}」时磁盘出错，这次没有做任何改动；请检查磁盘（是否已满、已拔出或损坏）后重试，登记簿若已损坏，用备份恢复：beian restore 备份文件"
                )),
                C::DatabaseBusy | C::DatabaseLocked => Error::Registry(format!(
                    "登记簿「{shown}」正被其他程序长时间占用，请稍后再试"
                )),
                _ => Error::Registry(format!(
                    "登记簿「{shown}」出错（{f}），这次没有做任何改动；请检查磁盘和文件，必要时用备份恢复：beian restore 备份文件"
                )),
            }
        }
        e @ (RegistryError::NotPending { .. }
        | RegistryError::SubmissionChanged { .. }
        | RegistryError::UnknownSubmission(_)) => Error::Registry(e.to_string()),
        e if e.is_busy() => Error::Registry(format!(
            "登记簿「{shown}」正被其他程序长时间占用，请稍后再试"
        )),
        RegistryError::Io(io) => Error::io(path, "打开登记簿", io),
        other => Error::Internal(format!("registry {shown}: {other}")),
    }
}

/// Whether the disk holding `path` is full: SQLite reports a failed write
/// as an I/O error, so a small probe file beside it tells which.
fn disk_is_full(path: &Path) -> bool {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(mut probe) = tempfile::Builder::new()
        .prefix(".beian-probe-")
        .tempfile_in(dir)
    else {
        return false;
    };
    probe
        .write_all(&[0; 64 * 1024])
        .and_then(|()| probe.as_file().sync_data())
        .is_err_and(|e| {
            matches!(
                e.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        })
}

fn serial_violation(message: String) -> Violation {
    Violation {
        path: "serial".into(),
        label: "编号".into(),
        message,
    }
}
