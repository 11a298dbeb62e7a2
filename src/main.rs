//! The `optout` command: parse, run, map to an exit code. Nothing else.

/// Large tables on huge pages (see the module).
#[global_allocator]
static ALLOCATOR: optout::huge_pages::HugePages = optout::huge_pages::HugePages;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(optout::cli::main().code())
}
