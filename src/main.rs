//! The `optout` command: parse, run, map to an exit code. Nothing else.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(optout::cli::main().code())
}
