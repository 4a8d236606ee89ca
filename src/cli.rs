//! The command line: raw arguments become a validated [`Command`] in one step,
//! then each command runs the pipeline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::layout::LayoutOptions;
use crate::pipeline::{self, Prepared, Source};
use crate::record::{FormKind, Syntax};

const HELP_TEMPLATE: &str = "\
{about-with-newline}
用法：{usage}

{all-args}{after-help}";

/// 新媒体建设备案及审批表（附件1）、QQ群、微博群备案及审批表（附件2）生成工具。
///
/// 把一份填写记录（TOML 或 JSON）生成为可打印的 PDF 表格，一式两份。
#[derive(Parser, Debug)]
#[command(
    name = "beian",
    version,
    help_template = HELP_TEMPLATE,
    subcommand_help_heading = "命令",
    next_help_heading = "选项",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    after_help = "示例：\n  beian init account > 我的帐号.toml\n  beian check 我的帐号.toml\n  beian render 我的帐号.toml -o 输出/"
)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
    /// 显示帮助
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help, global = true)]
    help: Option<bool>,
    /// 显示版本
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// 生成表格：每份记录一个 PDF（默认一式两份，每份一页）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Render {
        /// 记录文件（.toml 或 .json）；「-」表示从标准输入读取
        #[arg(value_name = "记录", required = true)]
        records: Vec<String>,
        /// 输出目录（默认当前目录）；文件名为编号，没有编号时为记录文件名
        #[arg(short = 'o', long = "output", value_name = "目录", default_value = ".")]
        output: PathBuf,
        /// 打印几份（每份一页）；两份及以上时每份标明「第一联」「第二联」及留存方
        #[arg(long, value_name = "份数", default_value_t = 2,
              value_parser = clap::value_parser!(u8).range(1..=10))]
        copies: u8,
        /// 输出格式
        #[arg(
            short = 'f',
            long = "format",
            value_name = "格式",
            value_delimiter = ',',
            default_value = "pdf"
        )]
        formats: Vec<OutputFormat>,
        /// DOCX 内嵌所用字形（思源宋体子集），没有中文字体的电脑也能正常显示
        #[arg(long)]
        embed_fonts: bool,
        /// 记录的格式（默认按扩展名或内容判断）
        #[arg(long, value_name = "格式")]
        input_format: Option<InputFormat>,
    },
    /// 只检查记录，列出所有需要修改的地方，不生成文件
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Check {
        /// 记录文件（.toml 或 .json）；「-」表示从标准输入读取
        #[arg(value_name = "记录", required = true)]
        records: Vec<String>,
        /// 记录的格式（默认按扩展名或内容判断）
        #[arg(long, value_name = "格式")]
        input_format: Option<InputFormat>,
    },
    /// 输出一份空白记录模板，注释写明每一项对应表格上的哪一栏
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Init {
        /// account：新媒体帐号（附件1）；group：QQ群、微博群（附件2）
        #[arg(value_name = "表格")]
        form: FormArg,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// PDF
    Pdf,
    /// Word 文档（可在 Word、WPS 中修改后打印）
    Docx,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum InputFormat {
    Toml,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormArg {
    /// 新媒体帐号（附件1）
    Account,
    /// QQ群、微博群（附件2）
    Group,
}

/// A command, validated.
#[derive(Debug)]
pub enum Command {
    Render {
        sources: Vec<Source>,
        output: PathBuf,
        options: LayoutOptions,
        formats: Vec<OutputFormat>,
        embed_fonts: bool,
        syntax: Option<Syntax>,
    },
    Check {
        sources: Vec<Source>,
        syntax: Option<Syntax>,
    },
    Init(FormKind),
}

impl Command {
    /// Parses the process's arguments. `Err` carries what to print and the
    /// exit code (help and version are not failures).
    pub fn from_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Command, (String, u8)> {
        let args = Args::try_parse_from(args).map_err(|e| match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => (e.render().to_string(), 0),
            _ => (usage_error(&e), 2),
        })?;
        let syntax = |f: Option<InputFormat>| {
            f.map(|f| match f {
                InputFormat::Toml => Syntax::Toml,
                InputFormat::Json => Syntax::Json,
            })
        };
        let sources = |records: Vec<String>| records.iter().map(|r| Source::parse(r)).collect();
        Ok(match args.command {
            Cmd::Render {
                records,
                output,
                copies,
                mut formats,
                embed_fonts,
                input_format,
            } => {
                formats.dedup();
                Command::Render {
                    sources: sources(records),
                    output,
                    options: LayoutOptions {
                        copies: usize::from(copies),
                    },
                    formats,
                    embed_fonts,
                    syntax: syntax(input_format),
                }
            }
            Cmd::Check {
                records,
                input_format,
            } => Command::Check {
                sources: sources(records),
                syntax: syntax(input_format),
            },
            Cmd::Init { form } => Command::Init(match form {
                FormArg::Account => FormKind::Account,
                FormArg::Group => FormKind::Group,
            }),
        })
    }
}

/// A clap error in Chinese, keeping the detail clap found.
fn usage_error(e: &clap::Error) -> String {
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let msg = match e.kind() {
        ErrorKind::UnknownArgument => format!("不认识的参数「{}」", ctx(ContextKind::InvalidArg)),
        ErrorKind::InvalidSubcommand => format!(
            "没有「{}」这个命令；可用的命令：render、check、init",
            ctx(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::MissingRequiredArgument => {
            format!("缺少参数：{}", ctx(ContextKind::InvalidArg))
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "请指定命令：render（生成表格）、check（检查记录）或 init（输出模板）".to_owned()
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => format!(
            "参数 {} 的值「{}」无效{}",
            ctx(ContextKind::InvalidArg),
            ctx(ContextKind::InvalidValue),
            match ctx(ContextKind::ValidValue) {
                v if v.is_empty() => String::new(),
                v => format!("；可选：{v}"),
            }
        ),
        _ => e.to_string().trim().to_owned(),
    };
    format!("beian：用法错误：{msg}\n运行 beian --help 查看用法。\n")
}

/// What a command did, for the user.
pub struct Report {
    pub lines: Vec<String>,
}

/// Runs a command.
pub fn run(command: Command) -> Result<Report, Error> {
    match command {
        Command::Init(form) => Ok(Report {
            lines: vec![template(form).trim_end().to_owned()],
        }),
        Command::Check { sources, syntax } => {
            let prepared = prepare_all(sources, syntax, LayoutOptions::default())?;
            Ok(Report {
                lines: prepared
                    .iter()
                    .map(|p| format!("{}：检查通过", p.source.name()))
                    .collect(),
            })
        }
        Command::Render {
            sources,
            output,
            options,
            formats,
            embed_fonts,
            syntax,
        } => render(sources, &output, options, &formats, embed_fonts, syntax),
    }
}

/// The `init` template of a form.
pub fn template(form: FormKind) -> &'static str {
    match form {
        FormKind::Account => include_str!("../forms/templates/account.toml"),
        FormKind::Group => include_str!("../forms/templates/group.toml"),
    }
}

/// Prepares every record; if any is rejected, reports all rejections.
fn prepare_all(
    sources: Vec<Source>,
    syntax: Option<Syntax>,
    options: LayoutOptions,
) -> Result<Vec<Prepared>, Error> {
    if sources.iter().filter(|s| **s == Source::Stdin).count() > 1 {
        return Err(Error::Usage("标准输入「-」只能用一次".into()));
    }
    let mut prepared = Vec::new();
    let mut failures = Vec::new();
    for source in sources {
        match pipeline::prepare(source, syntax, options) {
            Ok(p) => prepared.push(p),
            Err(e @ (Error::Rejected { .. } | Error::Syntax { .. })) => failures.push(e),
            Err(e) => return Err(e),
        }
    }
    match failures.len() {
        0 => Ok(prepared),
        1 => Err(failures.remove(0)),
        _ => Err(Error::Rejected {
            source: format!("{} 份记录", failures.len()),
            violations: failures
                .iter()
                .map(|f| crate::error::Violation {
                    path: String::new(),
                    label: String::new(),
                    message: f.to_string(),
                })
                .collect(),
        }),
    }
}

fn render(
    sources: Vec<Source>,
    output: &std::path::Path,
    options: LayoutOptions,
    formats: &[OutputFormat],
    embed_fonts: bool,
    syntax: Option<Syntax>,
) -> Result<Report, Error> {
    let prepared = prepare_all(sources, syntax, options)?;

    // Name every output before writing any, so a clash writes nothing.
    let mut planned: BTreeMap<PathBuf, (usize, OutputFormat)> = BTreeMap::new();
    for (i, p) in prepared.iter().enumerate() {
        let stem = p
            .record
            .serial
            .clone()
            .or_else(|| p.source.stem())
            .or_else(|| p.record.uuid.clone())
            .unwrap_or_else(|| "record".to_owned());
        for &f in formats {
            let ext = match f {
                OutputFormat::Pdf => "pdf",
                OutputFormat::Docx => "docx",
            };
            let path = output.join(format!("{stem}.{ext}"));
            if let Some((j, _)) = planned.insert(path.clone(), (i, f)) {
                return Err(Error::Usage(format!(
                    "「{}」和「{}」都会写到「{}」；请分开输出目录或给记录编号",
                    prepared[j].source.name(),
                    p.source.name(),
                    path.display()
                )));
            }
        }
    }

    // Render everything in memory, then write.
    let mut files = Vec::new();
    for (path, (i, format)) in &planned {
        let bytes = match format {
            OutputFormat::Pdf => pipeline::render_pdf(&prepared[*i].layout)?,
            OutputFormat::Docx => pipeline::render_docx(&prepared[*i].layout, embed_fonts)?,
        };
        files.push((path.clone(), bytes, prepared[*i].layout.pages.len()));
    }
    std::fs::create_dir_all(output).map_err(|e| Error::io(output, "创建目录", e))?;
    let mut lines = Vec::new();
    for (path, bytes, pages) in files {
        pipeline::write_atomic(&path, &bytes)?;
        lines.push(format!("已生成 {}（{pages} 页）", path.display()));
    }
    Ok(Report { lines })
}
