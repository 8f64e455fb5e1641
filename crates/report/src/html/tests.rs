use super::timeline::lanes;

/// Two boxes of `w` centred at `a` and `b` in lanes `la` and `lb` meet.
fn meet(a: f64, la: usize, b: f64, lb: usize, w: f64) -> bool {
    la == lb && (a - b).abs() < w
}

#[test]
fn letters_far_apart_share_one_lane() {
    let (lane, n) = lanes(&[10.0, 30.0, 50.0], 10.0);
    assert_eq!(lane, [0, 0, 0]);
    assert_eq!(n, 1);
}

#[test]
fn no_markers_is_one_empty_lane() {
    assert_eq!(lanes(&[], 10.0), (vec![], 1));
}

#[test]
fn letters_close_in_time_stack_and_a_lane_is_reused_once_free() {
    // Out of order on purpose: the lanes follow x, not the input.
    let xs = [100.0, 101.0, 100.5, 112.0, 300.0, 300.0];
    let (lane, n) = lanes(&xs, 10.0);
    assert_eq!(n, 3);
    assert_eq!(lane, [0, 2, 1, 0, 0, 1]);
    for i in 0..xs.len() {
        for j in i + 1..xs.len() {
            assert!(
                !meet(xs[i], lane[i], xs[j], lane[j], 10.0),
                "{i} {j}: {lane:?}"
            );
        }
    }
}

#[test]
fn markers_at_one_instant_each_get_a_lane() {
    let (lane, n) = lanes(&[1.0; 5], 10.0);
    assert_eq!(lane, [0, 1, 2, 3, 4]);
    assert_eq!(n, 5);
}
