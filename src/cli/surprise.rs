//! Which scenario a drill runs, and what it is judged against:
//! `--scenario NAME|FILE`, or `--scenario random [--seed N]`, a seeded
//! draw among the bundled scenarios that stays hidden until the debrief.
//! The console and the journal's `session_start` say only `random`; the
//! `drill_score` at the end names the scenario and the seed.

use cutover_core::drill::{DrillPlan, pick, seed_from_clock};
use cutover_lab::scenario::builtin_names;

/// What `--scenario` asks for to draw one at random.
pub(super) const RANDOM: &str = "random";

/// The drill's scenario, resolved.
#[derive(Debug)]
pub(super) struct DrillScenario {
    /// What the lab is started with (`lab serve --scenario`).
    pub(super) lab_arg: String,
    /// What the session shows and journals at its start.
    pub(super) shown: String,
    pub(super) plan: DrillPlan,
}

/// Resolves `--scenario` and `--seed`.
pub(super) fn resolve(arg: &str, seed: Option<u64>) -> Result<DrillScenario, String> {
    let (lab_arg, seed) = if arg == RANDOM {
        let names: Vec<&str> = builtin_names().collect();
        let seed = seed.unwrap_or_else(seed_from_clock);
        let name = pick(&names, seed).ok_or("no bundled scenario to draw from")?;
        (name.to_string(), Some(seed))
    } else if seed.is_some() {
        return Err(format!(
            "--seed draws a scenario: use it with --scenario {RANDOM}, not with `{arg}`"
        ));
    } else {
        (arg.to_string(), None)
    };
    let scenario = super::lab::load_scenario(&lab_arg).map_err(|e| e.to_string())?;
    let shown = match seed {
        Some(_) => format!("{RANDOM} (hidden until the debrief)"),
        None => scenario.name.clone(),
    };
    Ok(DrillScenario {
        lab_arg,
        shown,
        plan: DrillPlan {
            scenario: scenario.name,
            fault: scenario.description,
            seed,
            objectives: scenario.objectives,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_draws_the_same_bundled_scenario_and_hides_it() {
        let a = resolve(RANDOM, Some(7)).expect("draws");
        let b = resolve(RANDOM, Some(7)).expect("draws");
        assert_eq!(a.plan.scenario, b.plan.scenario);
        assert_eq!(a.lab_arg, a.plan.scenario);
        assert_eq!(a.plan.seed, Some(7));
        assert!(!a.shown.contains(&a.plan.scenario), "{}", a.shown);
        assert!(!a.plan.objectives.is_empty());
        let unseeded = resolve(RANDOM, None).expect("draws");
        assert!(
            unseeded.plan.seed.is_some(),
            "the seed is recorded to run it again"
        );
    }

    #[test]
    fn a_named_scenario_is_shown_and_a_stray_seed_refused() {
        let b = resolve("baseline", None).expect("loads");
        assert_eq!((b.shown.as_str(), b.plan.seed), ("baseline", None));
        let e = resolve("baseline", Some(7)).expect_err("seed without random");
        assert!(e.contains("--scenario random"), "{e}");
        assert!(resolve("nope", None).is_err());
    }
}
