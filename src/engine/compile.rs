//! Compiling a run's policies on the engine's threads: each distinct
//! reading's access key, then each distinct key's matchers, in parallel;
//! the snapshot is the one [`PolicySet::compile`] makes on one thread.

use rayon::prelude::*;

use crate::agents::AgentSet;
use crate::error::Result;
use crate::policy::{
    ByParse, PolicySet, Reading, Snapshot, by_parse, compile_one, compile_readings,
    first_of_each_key, reading_key,
};

/// [`PolicySet::compile`] on `threads` threads, given the compiled rules
/// of the parses compiled already (as loading does:
/// [`crate::policy::SharedParses::compiling`]); the others are compiled
/// here.
///
/// # Errors
///
/// When the threads cannot start.
pub fn policies(
    set: PolicySet,
    agents: &AgentSet,
    threads: usize,
    mut done: ByParse,
) -> Result<Snapshot> {
    let parses: Vec<Reading> = set
        .distinct_parses()
        .into_iter()
        .filter(|p| !done.contains_key(&reading_key(p)))
        .collect();
    if threads <= 1 {
        done.extend(compile_readings(&parses, agents));
    } else if !parses.is_empty() {
        let (keys, firsts, compiled) = super::pool(threads, "compile")?.install(|| {
            let keys: Vec<[u8; 32]> = parses.par_iter().map(|p| p.access_key()).collect();
            let firsts = first_of_each_key(&keys);
            let compiled: Vec<_> = firsts
                .par_iter()
                .map(|&i| compile_one(&parses[i], agents))
                .collect();
            (keys, firsts, compiled)
        });
        done.extend(by_parse(&parses, &keys, &firsts, compiled));
    }
    Ok(set.compile_with(agents, &done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiling_on_threads_makes_the_same_snapshot() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/robots/real");
        let agents = crate::config::select_agents(None, &[]).unwrap();
        let (set, _) = PolicySet::load_dir(&dir).unwrap();
        let one = set.clone().compile(&agents);
        let two = policies(set, &agents, 2, ByParse::default()).unwrap();
        let paths: [&[u8]; 5] = [
            b"/",
            b"/search?q=1",
            b"/private/x",
            b"/wp-admin/",
            b"/a.pdf",
        ];
        assert!(one.policies().len() > 10);
        for index in 0..one.policies().total() {
            let (a, b) = (one.get_index(index), two.get_index(index));
            assert_eq!(a.policy.key, b.policy.key);
            let (Some(a), Some(b)) = (a.compiled, b.compiled) else {
                assert_eq!(a.compiled.is_some(), b.compiled.is_some());
                continue;
            };
            for agent in 0..agents.len() {
                for path in paths {
                    assert_eq!(
                        format!("{:?}", a.verdict(agent, path)),
                        format!("{:?}", b.verdict(agent, path))
                    );
                }
            }
        }
    }
}
