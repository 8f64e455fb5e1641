//! A drill's compressed lab time (`--time-scale`), as every reader says
//! it: the headless line, the console's header and the report.

use crate::model::duration::human;

/// The factor as the header shows it: `time ×0.1`.
pub fn badge(factor: f64) -> String {
    format!("time ×{factor}")
}

/// The whole statement: what is compressed, to what, and what is not.
pub fn text(factor: f64, hold_time_ms: u64, arm_operation_ms: u64) -> String {
    format!(
        "lab time ×{factor}: hold time {}, ARM operations {}; BFD, convergence and round-trip times are real",
        human(hold_time_ms),
        human(arm_operation_ms)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn says_what_is_compressed_and_what_is_not() {
        assert_eq!(super::badge(0.1), "time ×0.1");
        assert_eq!(
            super::text(0.1, 18_000, 2_000),
            "lab time ×0.1: hold time 18.0 s, ARM operations 2.0 s; BFD, convergence and round-trip times are real"
        );
    }
}
