//! When viewers open the app: a daily rhythm (more sessions in the evening) scaled by how satisfied
//! each viewer is, drawn as a thinned Poisson process so the mean rate stays what the scenario says.

use super::Clock;
use super::agents::SessionRhythm;
use super::rng::{SimRng, exponential};
use rand::Rng;

/// How much more or less often a viewer comes back, given satisfaction 0..=1 (1 at 0.5).
#[inline]
pub fn retention(satisfaction: f32) -> f64 {
    0.3 + 1.4 * satisfaction.clamp(0.0, 1.0) as f64
}

/// The tick of a user's next session, strictly after `now`.
pub fn schedule_next_session(
    rhythm: &SessionRhythm,
    satisfaction: f32,
    now: u32,
    clock: &Clock,
    rng: &mut SimRng,
) -> u32 {
    let per_tick = rhythm.sessions_per_day as f64 * retention(satisfaction) / clock.ticks_per_day;
    if per_tick <= 0.0 {
        return u32::MAX;
    }
    let peak = 1.0 + clock.diurnal_amplitude;
    let mut t = now as f64;
    for _ in 0..64 {
        t += exponential(rng) / (per_tick * peak);
        if rng.random::<f64>() * peak < clock.diurnal(t) {
            break;
        }
    }
    (t.ceil() as u64).clamp(now as u64 + 1, u32::MAX as u64 - 1) as u32
}
