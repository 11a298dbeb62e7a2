//! Runs `fixtures/robots/conformance/cases.txt`: cases ported from RFC 9309
//! and Google's robots_test.cc, each citing its source. Every check runs
//! against optout and against the oracle (the `robotstxt` crate, a port of
//! Google's parser); a deviation from the oracle must be declared in the
//! file, and a declared deviation must really be one.

use optout::agents::AgentSet;
use optout::origin::UrlParser;
use optout::signals::robots::RobotsTxt;

use crate::util::fixture;

struct Case {
    id: String,
    source: String,
    robots: String,
    checks: Vec<Check>,
}

struct Check {
    agent: String,
    url: String,
    allowed: bool,
    deviation: Option<String>,
}

fn load() -> Vec<Case> {
    let text = std::fs::read_to_string(fixture("robots/conformance/cases.txt")).unwrap();
    let mut cases = Vec::new();
    for block in text.split("\n## case: ").skip(1) {
        let (id, rest) = block.split_once('\n').unwrap();
        let rest = rest
            .strip_prefix("## source: ")
            .unwrap_or_else(|| panic!("{id}: no source"));
        let (source, rest) = rest.split_once('\n').unwrap();
        let (robots, expect) = rest
            .split_once("## expect\n")
            .unwrap_or_else(|| panic!("{id}: no expect"));
        let checks = expect
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|line| {
                let fields: Vec<&str> = line.split(" | ").collect();
                assert!(fields.len() >= 3, "{id}: bad check `{line}`");
                Check {
                    agent: fields[0].to_owned(),
                    url: fields[1].to_owned(),
                    allowed: match fields[2] {
                        "allowed" => true,
                        "disallowed" => false,
                        other => panic!("{id}: bad verdict `{other}`"),
                    },
                    deviation: fields.get(3).map(|d| {
                        d.strip_prefix("deviates: ")
                            .unwrap_or_else(|| panic!("{id}: `{d}`"))
                            .to_owned()
                    }),
                }
            })
            .collect();
        cases.push(Case {
            id: id.trim().to_owned(),
            source: source.trim().to_owned(),
            robots: robots.to_owned(),
            checks,
        });
    }
    cases
}

fn optout_allows(robots: &str, agent: &str, url: &str) -> bool {
    let parsed = RobotsTxt::parse(robots.as_bytes());
    let agents = AgentSet::from_names(&[agent]).unwrap();
    let compiled = parsed.compile(agents.keys());
    let mut parser = UrlParser::new();
    let parts = parser.parse(url).unwrap();
    compiled.verdict(0, parts.path).allowed
}

fn oracle_allows(robots: &str, agent: &str, url: &str) -> bool {
    robotstxt::DefaultMatcher::default().one_agent_allowed_by_robots(robots, agent, url)
}

#[test]
#[expect(clippy::print_stderr, reason = "the summary line is the test's report")]
fn conformance_table() {
    let cases = load();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut checks = 0;
    let mut deviations = 0;
    for case in &cases {
        assert!(!case.source.is_empty());
        for check in &case.checks {
            checks += 1;
            let got = optout_allows(&case.robots, &check.agent, &check.url);
            if got != check.allowed {
                failures.push(format!(
                    "{} ({}): {} {} -> optout says allowed={got}",
                    case.id, case.source, check.agent, check.url
                ));
            }
            let oracle = oracle_allows(&case.robots, &check.agent, &check.url);
            match (&check.deviation, oracle == check.allowed) {
                (None, false) => failures.push(format!(
                    "{}: {} {}: oracle says allowed={oracle}, undeclared deviation",
                    case.id, check.agent, check.url
                )),
                (Some(why), true) => failures.push(format!(
                    "{}: {} {}: declared deviation ({why}) but the oracle agrees",
                    case.id, check.agent, check.url
                )),
                (Some(_), false) => deviations += 1,
                (None, true) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checks} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checks >= 150, "only {checks} checks");
    eprintln!(
        "{} cases, {checks} checks, {deviations} declared deviations from the oracle",
        cases.len()
    );
}
