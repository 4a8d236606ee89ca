//! The command line: raw arguments become a validated [`Command`] in one
//! step; [`crate::commands`] runs it.

use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand, ValueEnum};

use crate::commands::{BlankJob, PrintOrder, RenderJob};
use crate::error::Error;
use crate::io::Source;
use crate::layout::LayoutOptions;
use crate::record::{FormKind, Syntax};
use crate::registry::ListFilter;
use crate::render::Format;
use crate::settings::{Asked, Settings};

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
    after_help = "示例：\n  beian init account > 我的帐号.toml     （各单位：取一份空白记录填写）\n  beian check 我的帐号.toml              （检查填写是否完整正确）\n  beian render --draft 我的帐号.toml     （预览表格，不编号）\n  beian render 我的帐号.toml -o 输出/    （宣传统战部：备案、编号、生成一式两份）\n  beian list                             （查看登记簿）"
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
    /// 登记簿文件（默认：环境变量 BEIAN_REGISTRY，否则 beian.toml 中的 registry，否则用户数据目录中的 beian.db）
    #[arg(long, value_name = "文件", global = true)]
    registry: Option<PathBuf>,
    /// 表格文件夹：用修改过的表格文字（beian forms export 导出后修改）；默认用 beian.toml 中的 forms，否则用内置表格
    #[arg(long, value_name = "目录", global = true)]
    forms: Option<PathBuf>,
}

/// Which filings `list` and `register` take: one flattened group, so that
/// the two spell their filters alike.
#[derive(clap::Args, Debug)]
struct FilterArgs {
    /// 只列出一种表格：account（新媒体帐号）或 group（QQ群、微博群）
    #[arg(long, value_name = "表格")]
    form: Option<FormKind>,
    /// 只列出某年备案的
    #[arg(long, value_name = "年份")]
    year: Option<i32>,
    /// 只列出申请单位名称含有此文字的
    #[arg(long, value_name = "单位")]
    unit: Option<String>,
}

impl From<FilterArgs> for ListFilter {
    fn from(f: FilterArgs) -> ListFilter {
        ListFilter {
            form: f.form,
            year: f.year,
            unit: f.unit,
        }
    }
}

/// What is printed, for `render` and `blank` alike: how many copies of a
/// form, in which formats.
#[derive(clap::Args, Debug)]
struct PrintArgs {
    /// 每份表格打印几联（每联一页）；两联及以上时每联标明「第一联」「第二联」及留存方
    #[arg(long, value_name = "份数", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(1..=10))]
    copies: u8,
    /// 输出格式：pdf、docx 或 pdf,docx
    #[arg(
        short = 'f',
        long = "format",
        value_name = "格式",
        value_delimiter = ',',
        default_value = "pdf"
    )]
    formats: Vec<OutputFormat>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// 生成表格：备案登记、分配编号，每份记录一个 PDF（默认一式两份，每份一页）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Render {
        /// 记录文件（.toml 或 .json）；「-」表示从标准输入读取
        #[arg(value_name = "记录", required = true)]
        records: Vec<std::ffi::OsString>,
        /// 输出目录（默认当前目录）；文件名为编号（草稿没有编号时为记录文件名）。草稿加 --combine 而不给 -o 时，只生成合成的打印文件
        #[arg(short = 'o', long = "output", value_name = "目录")]
        output: Option<PathBuf>,
        /// 草稿：不登记、不分配编号，只生成表格预览（各单位自行填写时用）
        #[arg(long)]
        draft: bool,
        /// 登记记录中手工编写的旧编号（beian 之前已编号的表格）
        #[arg(long)]
        import: bool,
        /// 一批记录中有需要修改的：照样备案、生成其余的，最后列出需要修改的（退出码 1）；不加则一份也不备案
        #[arg(long)]
        keep_going: bool,
        /// 新记录的帐号或群（同一账号id、群号，或同一平台和名称）已经备案过的，照样另行备案（默认拒绝，并指出已有的编号）
        #[arg(long)]
        allow_duplicate: bool,
        /// 文件名写成「编号 名称.pdf」（如「QUN-2026-0003 2023级电子商务3班.pdf」），便于各班各帐号对号
        #[arg(long)]
        name_files: bool,
        /// 另把所有表格（每份的各联）合成一个 PDF，一次打印；字体只嵌入一次，每份表格一个书签
        #[arg(long, value_name = "文件.pdf")]
        combine: Option<PathBuf>,
        /// 合成的 PDF 每页后加一页空白背面，双面打印机也让每联各占一张纸（与 --combine 同用）
        #[arg(long)]
        duplex: bool,
        /// 合成 PDF 中表格的顺序：given（按名单顺序，默认）或 unit（按申请单位，再按编号）
        #[arg(long, value_name = "顺序", default_value = "given")]
        order: PrintOrder,
        #[command(flatten)]
        print: PrintArgs,
        /// DOCX 内嵌所用的字（Noto Serif CJK SC，即思源宋体，只含用到的字形），没有中文字体的电脑也能照样显示
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
        records: Vec<std::ffi::OsString>,
        /// 记录的格式（默认按扩展名或内容判断）
        #[arg(long, value_name = "格式")]
        input_format: Option<InputFormat>,
    },
    /// 按登记簿重新生成已备案的表格，与当初的文件逐字节一致
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Regen {
        /// 编号，例：XMT-2026-0007
        #[arg(value_name = "编号", required = true)]
        serials: Vec<String>,
        /// 输出目录（默认当前目录）
        #[arg(short = 'o', long = "output", value_name = "目录", default_value = ".")]
        output: PathBuf,
        /// 重新生成第几版（默认最新版）
        #[arg(long = "version-of", value_name = "版本")]
        version: Option<u32>,
        /// 只接受与备案时逐字节一致的文件：备案后 beian 的版式有修订时拒绝，而不是按新版式生成
        #[arg(long)]
        exact: bool,
    },
    /// 核验：文件是否正是登记簿中备案生成的原件，属于哪个编号的哪一版
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Verify {
        /// 要核验的 PDF 或 DOCX 文件
        #[arg(value_name = "文件", required = true)]
        files: Vec<PathBuf>,
    },
    /// 列出登记簿：所有备案（每个编号的最新版）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// 输出 CSV（UTF-8 带 BOM，Excel 可直接打开）
        #[arg(long)]
        csv: bool,
    },
    /// 登记簿汇总表：所有备案（每个编号的最新版）及其负责人、手机，写成 PDF（横向 A4，可打印）、XLSX 或 CSV；并列出编号中的缺号
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Register {
        /// 输出文件：.pdf（打印）、.xlsx（Excel、WPS）或 .csv
        #[arg(short = 'o', long = "output", value_name = "文件")]
        output: PathBuf,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// 显示一个编号的备案详情：各版本、文件及其校验值、记录内容
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Show {
        /// 编号
        #[arg(value_name = "编号")]
        serial: String,
    },
    /// 备份登记簿到一个文件（别人正在备案时也能得到完整一致的副本）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Backup {
        /// 备份文件（如 备份/beian-2026-11-28.db）；已有的同名文件会被替换
        #[arg(value_name = "文件")]
        file: PathBuf,
    },
    /// 用备份恢复登记簿（恢复前的登记簿另存为「登记簿文件名.恢复前」）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Restore {
        /// beian backup 生成的备份文件
        #[arg(value_name = "文件")]
        file: PathBuf,
        /// 登记簿完好、且有备份之后备案的编号时，也照样恢复
        #[arg(long)]
        force: bool,
    },
    /// 空白表：供手工填写的表格（所有印刷文字、空白栏、未勾选的方框）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Blank {
        /// account：新媒体帐号（附件1）；group：QQ群、微博群（附件2）
        #[arg(value_name = "表格")]
        form: FormKind,
        /// 输出目录（默认当前目录）
        #[arg(short = 'o', long = "output", value_name = "目录", default_value = ".")]
        output: PathBuf,
        /// PDF 中放几份空白表（1–200）
        #[arg(long, value_name = "份数", default_value_t = 1,
              value_parser = clap::value_parser!(u16).range(1..=200))]
        count: u16,
        /// 预留编号：在登记簿中预留 --count 个编号，每份空白表印上一个；手工填好后按表上的编号登记
        #[arg(long)]
        assign: bool,
        #[command(flatten)]
        print: PrintArgs,
    },
    /// 备案服务：在办公室电脑上运行，各单位用浏览器填写、提交，宣传统战部在 /office 审核、编号、打印
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Serve {
        /// 监听地址：默认只有本机能访问；校园网内各单位访问用 0.0.0.0:8080
        #[arg(long, value_name = "地址:端口", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// 在本机的 nginx 之后运行：客户地址取 nginx 给的 X-Real-IP，经 HTTPS 访问时 Cookie 加 Secure
        #[arg(long)]
        behind_proxy: bool,
        /// 每个客户地址每分钟最多：登录次数,提交次数,检查与预览次数（默认 10,30,300；也可用环境变量 BEIAN_RATE_LIMITS）。许多手机经同一出口地址上网时调大
        #[arg(long, value_name = "登录,提交,检查")]
        limits: Option<String>,
        /// 设置办公室登录口令（在终端输入两遍，不显示；存为 argon2id 散列），然后退出
        #[arg(long)]
        set_password: bool,
        /// 与 --set-password 一起用：为哪位工作人员设置（默认「办公室」，大家共用）
        #[arg(long, value_name = "用户名", requires = "set_password")]
        user: Option<String>,
        /// 删除一位办公室工作人员的登录（如调离）；正在运行的服务随即让其退出登录
        #[arg(long, value_name = "用户名", conflicts_with = "set_password")]
        remove_user: Option<String>,
    },
    /// 表格文字：导出内置表格，修改后用 --forms 或 beian.toml 的 forms 使用
    #[command(subcommand, help_template = HELP_TEMPLATE, subcommand_help_heading = "命令")]
    Forms(FormsCmd),
    /// 输出一份空白记录模板，注释写明每一项对应表格上的哪一栏
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Init {
        /// account：新媒体帐号（附件1）的记录模板；group：QQ群、微博群（附件2）的记录模板；roster：给各单位填写的 Excel 名单（需 -o）
        #[arg(value_name = "模板")]
        what: InitWhat,
        /// roster 写到哪个文件（.xlsx）
        #[arg(short = 'o', long = "output", value_name = "文件")]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum InitWhat {
    /// 新媒体帐号（附件1）的记录模板
    Account,
    /// QQ群、微博群（附件2）的记录模板
    Group,
    /// 各单位填写的 Excel 名单：每种表格一个工作表，下拉选项，手机等列为文本
    Roster,
}

#[derive(Subcommand, Debug)]
enum FormsCmd {
    /// 把内置的两份表格（account.toml、group.toml）写到一个文件夹，作为修改的起点
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Export {
        /// 目标文件夹
        #[arg(value_name = "目录")]
        dir: PathBuf,
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

/// A command line, validated: what to do and where the office's things are.
#[derive(Debug)]
pub struct Invocation {
    pub settings: Settings,
    pub command: Command,
}

/// A command, validated.
#[derive(Debug)]
pub enum Command {
    /// `--help` or `--version`: the text to print.
    Help(String),
    /// `beian forms export DIR`.
    ExportForms(PathBuf),
    Render(RenderJob),
    Regen {
        serials: Vec<String>,
        version: Option<u32>,
        exact: bool,
        output: PathBuf,
    },
    Verify {
        files: Vec<PathBuf>,
    },
    List {
        filter: ListFilter,
        csv: bool,
    },
    Show {
        serial: String,
    },
    Backup(PathBuf),
    Restore {
        file: PathBuf,
        force: bool,
    },
    Register {
        filter: ListFilter,
        output: PathBuf,
    },
    Check {
        sources: Vec<Source>,
        syntax: Option<Syntax>,
    },
    Init(FormKind),
    /// `init roster -o FILE`: the fill-in workbook.
    InitRoster(PathBuf),
    Blank(BlankJob),
    /// `serve`: the filing service.
    Serve(crate::serve::Options),
    /// `serve --set-password [--user NAME]`.
    SetPassword(String),
    /// `serve --remove-user NAME`.
    RemoveUser(String),
}

impl Invocation {
    /// Parses the process's arguments.
    pub fn from_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Invocation, Error> {
        let args = match Args::try_parse_from(args) {
            Ok(args) => args,
            Err(e) => {
                return match e.kind() {
                    ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Ok(Invocation {
                        settings: Settings::resolve(Asked::default())?,
                        command: Command::Help(e.render().to_string()),
                    }),
                    _ => Err(Error::Usage(usage_error(&e))),
                };
            }
        };
        let syntax = |f: Option<InputFormat>| {
            f.map(|f| match f {
                InputFormat::Toml => Syntax::Toml,
                InputFormat::Json => Syntax::Json,
            })
        };
        let sources =
            |records: Vec<std::ffi::OsString>| records.into_iter().map(Source::parse).collect();
        let settings = Settings::resolve(Asked {
            registry: args.registry,
            forms: args.forms,
        })?;
        let command = match args.command {
            Cmd::Render {
                records,
                output,
                print: PrintArgs { copies, formats },
                embed_fonts,
                input_format,
                draft,
                import,
                keep_going,
                name_files,
                combine,
                duplex,
                order,
                allow_duplicate,
            } => {
                let formats = formats_of(formats, embed_fonts);
                if embed_fonts && !formats.iter().any(|f| matches!(f, Format::Docx { .. })) {
                    return Err(Error::Usage(
                        "--embed-fonts 只对 Word 文档有效，请同时加 -f docx（或 -f pdf,docx）"
                            .to_owned(),
                    ));
                }
                if duplex && combine.is_none() {
                    return Err(Error::Usage(
                        "--duplex 用于合成的打印文件，请同时加 --combine 打印.pdf".to_owned(),
                    ));
                }
                if embed_fonts && !cfg!(feature = "embed-fonts") {
                    return Err(Error::Usage(
                        "这个 beian 构建时没有带嵌入字体功能（embed-fonts），不能用 --embed-fonts；请去掉该选项，或用默认功能重新构建 beian".to_owned(),
                    ));
                }
                // A draft print job alone: the office looks at one file,
                // not a folder of drafts.
                let output = match (output, draft && combine.is_some()) {
                    (None, true) => None,
                    (output, _) => Some(output.unwrap_or_else(|| PathBuf::from("."))),
                };
                Command::Render(RenderJob {
                    sources: sources(records),
                    output,
                    options: LayoutOptions {
                        copies: usize::from(copies),
                        ..Default::default()
                    },
                    formats,
                    syntax: syntax(input_format),
                    draft,
                    import,
                    keep_going,
                    name_files,
                    combine,
                    duplex,
                    order,
                    allow_duplicate,
                })
            }
            Cmd::Regen {
                serials,
                output,
                version,
                exact,
            } => Command::Regen {
                serials,
                version,
                exact,
                output,
            },
            Cmd::Verify { files } => Command::Verify { files },
            Cmd::List { filter, csv } => Command::List {
                filter: filter.into(),
                csv,
            },
            Cmd::Show { serial } => Command::Show { serial },
            Cmd::Backup { file } => Command::Backup(file),
            Cmd::Restore { file, force } => Command::Restore { file, force },
            Cmd::Register { output, filter } => Command::Register {
                filter: filter.into(),
                output,
            },
            Cmd::Check {
                records,
                input_format,
            } => Command::Check {
                sources: sources(records),
                syntax: syntax(input_format),
            },
            Cmd::Init { what, output } => match (what, output) {
                (InitWhat::Account, _) => Command::Init(FormKind::Account),
                (InitWhat::Group, _) => Command::Init(FormKind::Group),
                (InitWhat::Roster, Some(path)) => Command::InitRoster(path),
                (InitWhat::Roster, None) => {
                    return Err(Error::Usage(
                        "init roster 要写到一个文件：beian init roster -o 名单.xlsx".into(),
                    ));
                }
            },
            Cmd::Forms(FormsCmd::Export { dir }) => Command::ExportForms(dir),
            Cmd::Serve {
                remove_user: Some(user),
                ..
            } => Command::RemoveUser(user.trim().to_owned()),
            Cmd::Serve {
                set_password: true,
                user,
                ..
            } => {
                let user = user
                    .unwrap_or_else(|| "办公室".to_owned())
                    .trim()
                    .to_owned();
                if user.is_empty()
                    || user.chars().count() > 40
                    || user.chars().any(char::is_control)
                {
                    return Err(Error::Usage(
                        "--user 须是 1 到 40 个字符的用户名（如 张老师）".to_owned(),
                    ));
                }
                Command::SetPassword(user)
            }
            Cmd::Serve {
                listen,
                behind_proxy,
                limits,
                ..
            } => {
                let limits = match limits.or_else(|| std::env::var("BEIAN_RATE_LIMITS").ok()) {
                    None => crate::serve::limit::Limits::default(),
                    Some(text) => crate::serve::limit::Limits::parse(&text).ok_or_else(|| {
                        Error::Usage(format!(
                            "--limits「{text}」无效：写三个正整数，用逗号分开：每分钟登录次数,提交次数,检查次数（如 10,30,300）"
                        ))
                    })?,
                };
                Command::Serve(crate::serve::Options {
                    listen,
                    behind_proxy,
                    limits,
                    quiet: false,
                })
            }
            Cmd::Blank {
                form,
                output,
                count,
                assign,
                print: PrintArgs { copies, formats },
            } => Command::Blank(BlankJob {
                form,
                output,
                copies: usize::from(copies),
                count: usize::from(count),
                formats: formats_of(formats, false),
                assign,
            }),
        };
        Ok(Invocation { settings, command })
    }
}

/// The output formats asked for, sorted, each once.
fn formats_of(asked: Vec<OutputFormat>, embed_fonts: bool) -> Vec<Format> {
    let mut formats: Vec<Format> = asked
        .into_iter()
        .map(|f| match f {
            OutputFormat::Pdf => Format::Pdf,
            OutputFormat::Docx => Format::Docx { embed_fonts },
        })
        .collect();
    formats.sort();
    formats.dedup();
    formats
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
            "没有「{}」这个命令；可用的命令：init、check、render、regen、verify、list、show、register、blank、backup、restore、serve、forms",
            ctx(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::MissingRequiredArgument => {
            format!("缺少参数：{}", ctx(ContextKind::InvalidArg))
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "请指定命令：init（输出模板）、check（检查记录）、render（生成表格）、regen（重新生成）、verify（核验）、list（登记簿）、show（备案详情）、serve（网上备案服务）或 forms（表格文字）".to_owned()
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
            if ctx(ContextKind::InvalidArg).starts_with("--copies") =>
        {
            format!("份数「{}」无效：--copies 须在 1 到 10 之间", ctx(ContextKind::InvalidValue))
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
            if ctx(ContextKind::InvalidArg).starts_with("--count") =>
        {
            format!("份数「{}」无效：--count 须在 1 到 200 之间", ctx(ContextKind::InvalidValue))
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
    format!("{msg}\n运行 beian --help 查看用法。")
}
