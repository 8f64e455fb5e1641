//! The one world every lab server talks to. SSH sessions and ARM requests
//! run on many tasks; each takes the lock briefly, brings the world up to
//! the clock's time, and reads or changes it. No await happens under the
//! lock.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{Clock, World};

#[derive(Debug, Clone)]
pub struct SharedWorld {
    world: Arc<Mutex<World>>,
    clock: Arc<dyn Clock>,
}

impl SharedWorld {
    pub fn new(world: World, clock: Arc<dyn Clock>) -> Self {
        Self {
            world: Arc::new(Mutex::new(world)),
            clock,
        }
    }

    /// Runs `f` on the world at the current time (events due by now have
    /// been applied). `f` gets that time too, for calls that take `now`.
    pub fn with<R>(&self, f: impl FnOnce(&mut World, Duration) -> R) -> R {
        let now = self.clock.now();
        // A panic in another request must not take the whole lab down: the
        // world's state is still consistent between calls.
        let mut w = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        w.tick(now);
        f(&mut w, now)
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
