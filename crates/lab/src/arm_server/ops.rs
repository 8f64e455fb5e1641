//! What the ARM layer remembers between requests: the long-running
//! operations it handed out, and the peerings that PUTs created.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Duration;

use serde_json::Value;

use cutover_core::model::azure::ExpressRouteCircuitPeering;

#[derive(Debug, Default)]
pub(super) struct Store {
    operations: VecDeque<Operation>,
    pub created: Vec<Created>,
}

#[derive(Debug)]
pub(super) struct Operation {
    pub id: String,
    pub kind: OpKind,
}

#[derive(Debug)]
pub(super) enum OpKind {
    /// A PUT of one of the world's peerings: the world tracks its status.
    /// Once the world has moved on to a newer operation, this one is over
    /// (the world refuses a PUT while one is running).
    WorldPeering { peering: String },
    /// A PUT of a peering this layer created, done at `done_at` (lab time).
    CreatedPeering { peering: String, done_at: Duration },
    /// A gateway read.
    Query(Query),
    /// A peering PUT the scenario makes fail: accepted, never applied,
    /// ending `end` at `done_at` (lab time).
    Ending {
        end: crate::scenario::OperationEnd,
        done_at: Duration,
    },
}

#[derive(Debug)]
pub(super) struct Query {
    pub what: QueryKind,
    /// Lab time of the POST.
    pub started: Duration,
    /// Polls of the status or result URL so far.
    pub polls: u32,
    /// The answer, fixed when the operation completes: later polls read
    /// the same list, as from ARM.
    pub result: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum QueryKind {
    LearnedRoutes,
    AdvertisedRoutes(IpAddr),
    BgpPeerStatus(Option<IpAddr>),
    /// A site failover test call (`dispatch/failover.rs`).
    Failover(FailoverRead),
}

/// What a site failover test's operation answers when it completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FailoverRead {
    /// Fixed when the call was made (a start's or stop's test GUID).
    Answer(Value),
    AllTests {
        test_type: Option<String>,
        fetch_latest: bool,
    },
    SingleTest {
        peering_location: String,
        test_id: String,
    },
    /// The ER gateway's BGP peers, read when the operation completes.
    ErBgpPeers,
    LinkAllTests {
        fetch_latest: bool,
    },
    LinkSingleTest {
        link: usize,
        test_id: String,
    },
}

/// A peering that exists only because a PUT created it.
#[derive(Debug)]
pub(super) struct Created {
    pub name: String,
    /// As the PUT sent it, read-only members removed.
    pub resource: ExpressRouteCircuitPeering,
    pub etag: String,
    /// Lab time until which it reads `Updating`.
    pub updating_until: Duration,
    /// The id of its latest operation.
    pub operation: String,
}

impl Store {
    pub fn remember(&mut self, op: Operation, cap: usize) {
        while self.operations.len() >= cap {
            self.operations.pop_front();
        }
        self.operations.push_back(op);
    }

    pub fn operation_mut(&mut self, id: &str) -> Option<&mut Operation> {
        // Operation ids are GUIDs; ARM compares them case-insensitively.
        self.operations
            .iter_mut()
            .find(|o| o.id.eq_ignore_ascii_case(id))
    }

    pub fn created(&self, name: &str) -> Option<&Created> {
        self.created
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn created_mut(&mut self, name: &str) -> Option<&mut Created> {
        self.created
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

impl Query {
    /// Whether the result is ready at lab time `now`, counting this poll.
    pub fn ready(&self, now: Duration, after: Duration, on_poll: Option<u32>) -> bool {
        self.result.is_some()
            || now.saturating_sub(self.started) >= after
            || on_poll.is_some_and(|n| self.polls >= n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(started: u64) -> Operation {
        Operation {
            id: format!("op-{started}"),
            kind: OpKind::Query(Query {
                what: QueryKind::LearnedRoutes,
                started: Duration::from_secs(started),
                polls: 0,
                result: None,
            }),
        }
    }

    #[test]
    fn oldest_operations_are_forgotten_past_the_cap() {
        let mut s = Store::default();
        for i in 0..5 {
            s.remember(query(i), 3);
        }
        assert!(s.operation_mut("op-0").is_none());
        assert!(s.operation_mut("op-1").is_none());
        assert!(s.operation_mut("OP-4").is_some());
        assert_eq!(s.operations.len(), 3);
    }

    #[test]
    fn a_query_is_ready_by_time_or_by_poll() {
        let mut q = Query {
            what: QueryKind::LearnedRoutes,
            started: Duration::from_secs(10),
            polls: 1,
            result: None,
        };
        let after = Duration::from_secs(1);
        assert!(!q.ready(Duration::from_secs(10), after, Some(2)));
        assert!(q.ready(Duration::from_secs(11), after, Some(2)));
        assert!(!q.ready(Duration::from_secs(10), after, None));
        q.polls = 2;
        assert!(q.ready(Duration::from_secs(10), after, Some(2)));
    }
}
