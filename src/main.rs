//! The `aftersales` command: see `aftersales --help`.

fn main() -> std::process::ExitCode {
    aftersales::cli::main()
}
