//! How URLs are dealt to the lanes (one per loop).

use asyncio::sync::ThreadSafeQueue;

use crate::frontier::Job;

/// A host's requests stay on one lane (so its `--per-host` slots and `--rate` clock are one
/// lane's, exact) unless they may be spread: there is no `--rate` and the per-host limit is at
/// least the number of lanes (or the limits hold in Redis, for a shared job). Then any lane
/// may take any URL, each with its share of every host's slots (the shares add up to
/// `--per-host`, so the limit still holds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dealing {
    pub(crate) lanes: usize,
    pub(crate) spread: bool,
}

impl Dealing {
    pub(crate) fn new(lanes: usize, rate: f64, per_host: usize, shared_job: bool) -> Self {
        Self {
            lanes,
            spread: shared_job || (rate <= 0.0 && per_host >= lanes),
        }
    }

    /// Lane `i`'s share of `total` (the shares of all lanes add up to `total`).
    pub(crate) fn share(&self, total: usize, i: usize) -> usize {
        total / self.lanes + usize::from(i < total % self.lanes)
    }

    /// The lane that must take `host`'s URLs, when hosts are not spread.
    pub(crate) fn lane_of(&self, host: &str) -> usize {
        if self.lanes == 1 {
            return 0;
        }
        // A stable hash: a host keeps its lane across runs (and resumes).
        (crate::save::fnv1a(host.as_bytes()) % self.lanes as u64) as usize
    }
}

/// Hands jobs to the lanes' queues, in turn.
#[derive(Debug)]
pub(crate) struct Dealer {
    dealing: Dealing,
    turn: usize,
}

impl Dealer {
    pub(crate) fn new(dealing: Dealing) -> Self {
        Self { dealing, turn: 0 }
    }

    /// Gives `job` to a lane: its host's lane, or (hosts spread) the next lane with room,
    /// waiting for the next in turn when all are full. `Err` when the queues are shut (the
    /// run is stopping).
    ///
    /// # Cancel safety
    /// Not cancel-safe: a job waiting for room is dropped with the future.
    pub(crate) async fn deal(
        &mut self,
        queues: &[ThreadSafeQueue<Job>],
        job: Job,
    ) -> Result<(), ()> {
        let d = self.dealing;
        if !d.spread {
            let lane = d.lane_of(job.url.host_str().unwrap_or(""));
            return queues[lane].put(job).await.map_err(drop);
        }
        let mut job = job;
        for _ in 0..d.lanes {
            let lane = self.next_turn();
            match queues[lane].put_nowait(job) {
                Ok(()) => return Ok(()),
                Err(asyncio::sync::PutError::Full(back)) => job = back,
                Err(_) => return Err(()),
            }
        }
        let lane = self.next_turn();
        queues[lane].put(job).await.map_err(drop)
    }

    fn next_turn(&mut self) -> usize {
        let lane = self.turn;
        self.turn = (self.turn + 1) % self.dealing.lanes;
        lane
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_total() {
        let d = Dealing::new(3, 0.0, 8, false);
        for total in [0, 1, 2, 3, 7, 500] {
            let shares: Vec<usize> = (0..3).map(|i| d.share(total, i)).collect();
            assert_eq!(shares.iter().sum::<usize>(), total, "{shares:?}");
            assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1);
        }
    }

    #[test]
    fn hosts_are_spread_only_when_the_limits_stay_exact() {
        assert!(Dealing::new(2, 0.0, 8, false).spread);
        // A rate is one clock: one lane.
        assert!(!Dealing::new(2, 1.0, 8, false).spread);
        // One slot per host cannot be shared by two lanes.
        assert!(!Dealing::new(2, 0.0, 1, false).spread);
        // A shared job's limits hold in Redis for every lane.
        assert!(Dealing::new(2, 1.0, 1, true).spread);
    }

    #[test]
    fn a_host_keeps_its_lane() {
        let d = Dealing::new(4, 1.0, 8, false);
        let lane = d.lane_of("example.test");
        assert!(lane < 4);
        assert_eq!(d.lane_of("example.test"), lane);
        assert_eq!(Dealing::new(1, 1.0, 8, false).lane_of("example.test"), 0);
    }

    #[test]
    fn spread_jobs_go_round_and_skip_full_lanes() {
        let queues: Vec<ThreadSafeQueue<Job>> = (0..2).map(|_| ThreadSafeQueue::new(1)).collect();
        let mut dealer = Dealer::new(Dealing::new(2, 0.0, 8, false));
        let job = |u: &str| Job::seed(url::Url::parse(u).unwrap());
        asyncio::run(async {
            dealer.deal(&queues, job("http://a.test/1")).await.unwrap();
            dealer.deal(&queues, job("http://a.test/2")).await.unwrap();
            assert_eq!(queues[0].qsize(), 1);
            assert_eq!(queues[1].qsize(), 1);
            queues[1].get_nowait().unwrap();
            // Lane 0's turn is next, but it is full: the job goes to lane 1.
            dealer.deal(&queues, job("http://a.test/3")).await.unwrap();
            assert_eq!(queues[0].qsize(), 1);
            assert_eq!(queues[1].get_nowait().unwrap().url.path(), "/3");
        });
    }
}
