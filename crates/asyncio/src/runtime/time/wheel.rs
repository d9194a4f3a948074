//! The timer wheel: hierarchical, 6 levels of 64 slots, 1 ms per level-0 slot.
//!
//! Insert and cancel are O(1). Deadlines are kept exact (nanoseconds since the loop's epoch):
//! when a slot's time comes, its entries move to a small heap ordered by (deadline, sequence) and
//! fire from there only once their exact deadline has passed. So a timer never fires early, the
//! loop can sleep until the exact next deadline rather than the next millisecond boundary, and
//! timers with equal deadlines fire in the order they were created, as asyncio promises.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;

use crate::runtime::arena::{Arena, Key};
use crate::runtime::callback::CallbackRef;
use crate::runtime::task::raw::TaskWaker;

const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const NIL: u32 = u32::MAX;

/// Nanoseconds per level-0 slot.
pub(crate) const TICK_NS: u64 = 1_000_000;

/// What a timer does when it fires.
pub(crate) enum Payload {
    /// Wake a future (a `sleep`, a `timeout`...).
    Waker(TaskWaker),
    /// Run a `call_later`/`call_at` callback.
    Callback(CallbackRef),
    /// Run a callback that is its own pointer.
    Raw(crate::runtime::raw_callback::Raw),
}

/// A key to a pending timer. Once the timer fired or was removed, the key is stale.
pub(crate) type TimerKey = Key;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Slot { level: u8, slot: u8 },
    Soon,
}

struct Entry {
    deadline: u64,
    seq: u64,
    prev: u32,
    next: u32,
    place: Place,
    payload: Payload,
}

struct Level {
    occupied: u64,
    heads: [u32; SLOTS],
}

pub(crate) struct Wheel {
    entries: Arena<Entry>,
    levels: [Level; LEVELS],
    /// The last tick whose slots have been taken; entries due at or before it are in `soon`.
    elapsed: u64,
    soon: BinaryHeap<Reverse<(u64, u64, u32, u32)>>,
    live_soon: usize,
    seq: u64,
    /// A lower bound of every pending deadline (`u64::MAX` when none was added since the last
    /// expiry): lets the loop skip `expire` when nothing can be due.
    earliest: u64,
}

fn level_for(elapsed: u64, when: u64) -> usize {
    let masked = (elapsed ^ when) | (SLOTS as u64 - 1);
    let significant = 63 - masked.leading_zeros() as usize;
    (significant / SLOT_BITS as usize).min(LEVELS - 1)
}

fn slot_range(level: usize) -> u64 {
    1u64 << (SLOT_BITS as usize * level)
}

impl Wheel {
    /// An empty wheel whose time starts at `start` (nanoseconds).
    pub(crate) fn new(start: u64) -> Self {
        Self {
            entries: Arena::new(),
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                heads: [NIL; SLOTS],
            }),
            elapsed: start / TICK_NS,
            soon: BinaryHeap::new(),
            live_soon: 0,
            seq: 0,
            earliest: u64::MAX,
        }
    }

    /// Number of pending timers.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds a timer due at `deadline` (nanoseconds since the epoch).
    pub(crate) fn insert(&mut self, deadline: u64, payload: Payload) -> TimerKey {
        self.seq += 1;
        let seq = self.seq;
        let key = self.entries.insert_with(|| Entry {
            deadline,
            seq,
            prev: NIL,
            next: NIL,
            place: Place::Soon,
            payload,
        });
        self.place(key.index);
        key
    }

    /// Whether the timer is still pending.
    pub(crate) fn contains(&self, key: TimerKey) -> bool {
        self.entries.get(key).is_some()
    }

    /// Replaces a waker payload unless it would wake the same task.
    pub(crate) fn update_waker(&mut self, key: TimerKey, waker: &Waker) {
        if let Some(entry) = self.entries.get_mut(key) {
            if let Payload::Waker(w) = &mut entry.payload {
                w.update(waker);
            }
        }
    }

    /// Cancels a pending timer, returning its payload.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Payload> {
        let place = self.entries.get(key)?.place;
        match place {
            Place::Slot { level, slot } => self.unlink(key.index, level as usize, slot as usize),
            Place::Soon => {
                self.live_soon -= 1;
                if self.soon.len() > 64 && self.soon.len() > 2 * self.live_soon {
                    self.compact_soon();
                }
            }
        }
        self.entries.remove(key).map(|e| e.payload)
    }

    /// The earliest deadline among pending timers (exact when it is within the current tick,
    /// otherwise the start of the slot that holds it, which is never later than the deadline).
    pub(crate) fn next_deadline(&mut self) -> Option<u64> {
        self.clean_soon_top();
        let soon = self.soon.peek().map(|Reverse((d, ..))| *d);
        let wheel = self.next_expiration().map(|(_, _, tick)| tick * TICK_NS);
        match (soon, wheel) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// How many timers wait in the current millisecond (the exact-deadline heap).
    pub(crate) fn pending_soon(&self) -> usize {
        self.live_soon
    }

    /// The earliest deadline armed (a lower bound: to the tick for timers on the wheel). The
    /// loop expires timers once its clock reaches it.
    pub(crate) fn earliest(&self) -> u64 {
        self.earliest
    }

    /// Whether a timer may be due at `now` (false means certainly none is): the loop's test.
    #[cfg(test)]
    fn may_fire(&self, now: u64) -> bool {
        self.entries.len() > 0 && now >= self.earliest
    }

    /// Moves time to `now` and appends the payloads of every timer due by then to `out`, in
    /// (deadline, creation) order.
    pub(crate) fn expire(&mut self, now: u64, out: &mut Vec<Payload>) {
        let now_tick = now / TICK_NS;
        while let Some((level, slot, tick)) = self.next_expiration() {
            if tick > now_tick {
                break;
            }
            self.elapsed = self.elapsed.max(tick);
            let lvl = &mut self.levels[level];
            let mut index = std::mem::replace(&mut lvl.heads[slot], NIL);
            lvl.occupied &= !(1u64 << slot);
            while index != NIL {
                let next = self.entries.at(index).next;
                self.place(index);
                index = next;
            }
        }
        self.elapsed = self.elapsed.max(now_tick);
        while let Some(&Reverse((deadline, seq, index, generation))) = self.soon.peek() {
            if deadline > now {
                break;
            }
            self.soon.pop();
            let key = Key { index, generation };
            if self.is_live_soon(key, seq) {
                self.live_soon -= 1;
                if let Some(entry) = self.entries.remove(key) {
                    out.push(entry.payload);
                }
            }
        }
        self.earliest = self.next_deadline().unwrap_or(u64::MAX);
    }

    /// Removes every timer (when the loop closes).
    pub(crate) fn clear(&mut self) -> Vec<Payload> {
        for level in &mut self.levels {
            level.occupied = 0;
            level.heads = [NIL; SLOTS];
        }
        self.soon.clear();
        self.live_soon = 0;
        self.earliest = u64::MAX;
        self.entries
            .drain()
            .into_iter()
            .map(|e| e.payload)
            .collect()
    }

    fn is_live_soon(&self, key: Key, seq: u64) -> bool {
        self.entries
            .get(key)
            .is_some_and(|e| e.place == Place::Soon && e.seq == seq)
    }

    fn clean_soon_top(&mut self) {
        while let Some(&Reverse((_, seq, index, generation))) = self.soon.peek() {
            if self.is_live_soon(Key { index, generation }, seq) {
                break;
            }
            self.soon.pop();
        }
    }

    fn compact_soon(&mut self) {
        let items = std::mem::take(&mut self.soon).into_vec();
        let live: Vec<_> = items
            .into_iter()
            .filter(|Reverse((_, seq, index, generation))| {
                self.is_live_soon(
                    Key {
                        index: *index,
                        generation: *generation,
                    },
                    *seq,
                )
            })
            .collect();
        self.soon = BinaryHeap::from(live);
    }

    /// Puts the entry at `index` where its deadline belongs: the heap if its tick has been
    /// reached, otherwise the right wheel slot.
    fn place(&mut self, index: u32) {
        let elapsed = self.elapsed;
        let key = self.entries.key_at(index);
        let entry = self.entries.at(index);
        let tick = entry.deadline / TICK_NS;
        if tick <= elapsed {
            entry.place = Place::Soon;
            entry.prev = NIL;
            entry.next = NIL;
            let item = (entry.deadline, entry.seq, index, key.generation);
            self.earliest = self.earliest.min(entry.deadline);
            self.soon.push(Reverse(item));
            self.live_soon += 1;
            return;
        }
        // Deadlines beyond the wheel's span (about two years) park in the farthest slot and are
        // placed again, with their true deadline, when that slot comes up.
        let tick = tick.min(elapsed + slot_range(LEVELS) - 1);
        let level = level_for(elapsed, tick);
        // The slot's start: what `next_expiration` reports for it, and when it must be cascaded.
        let slot_start = (tick & !(slot_range(level) - 1)).max(elapsed + 1);
        self.earliest = self.earliest.min(slot_start * TICK_NS);
        let slot = ((tick >> (SLOT_BITS as usize * level)) & (SLOTS as u64 - 1)) as usize;
        let head = self.levels[level].heads[slot];
        entry.place = Place::Slot {
            level: level as u8,
            slot: slot as u8,
        };
        entry.prev = NIL;
        entry.next = head;
        if head != NIL {
            self.entries.at(head).prev = index;
        }
        let lvl = &mut self.levels[level];
        lvl.heads[slot] = index;
        lvl.occupied |= 1u64 << slot;
    }

    fn unlink(&mut self, index: u32, level: usize, slot: usize) {
        let (prev, next) = {
            let e = self.entries.at(index);
            (e.prev, e.next)
        };
        if prev == NIL {
            self.levels[level].heads[slot] = next;
            if next == NIL {
                self.levels[level].occupied &= !(1u64 << slot);
            }
        } else {
            self.entries.at(prev).next = next;
        }
        if next != NIL {
            self.entries.at(next).prev = prev;
        }
    }

    /// The earliest occupied slot: (level, slot, tick at which it starts).
    fn next_expiration(&self) -> Option<(usize, usize, u64)> {
        for (level, lvl) in self.levels.iter().enumerate() {
            if lvl.occupied == 0 {
                continue;
            }
            let shift = SLOT_BITS as usize * level;
            let pos = ((self.elapsed >> shift) & (SLOTS as u64 - 1)) as u32;
            let rotated = lvl.occupied.rotate_right(pos);
            let slot = ((rotated.trailing_zeros() + pos) % SLOTS as u32) as usize;
            let level_range = slot_range(level + 1);
            let level_start = self.elapsed & !(level_range.wrapping_sub(1));
            let mut tick = level_start + slot as u64 * slot_range(level);
            if tick <= self.elapsed && level > 0 {
                tick += level_range;
            }
            return Some((level, slot, tick.max(self.elapsed)));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn fire_all(w: &mut Wheel, now: u64) -> usize {
        let mut out = Vec::new();
        w.expire(now, &mut out);
        out.len()
    }

    fn payload() -> Payload {
        Payload::Waker(TaskWaker::Other(Waker::noop().clone()))
    }

    #[test]
    fn fires_exactly_at_deadline_never_before() {
        let mut w = Wheel::new(0);
        for d in [
            1u64,
            999_999,
            1_000_000,
            1_500_000,
            64_000_000,
            5_000_000_000,
            1 << 40,
        ] {
            w.insert(d, payload());
            assert_eq!(fire_all(&mut w, d - 1), 0, "fired early for {d}");
            assert_eq!(w.next_deadline().map(|n| n <= d), Some(true));
            assert_eq!(fire_all(&mut w, d), 1, "did not fire at {d}");
            assert_eq!(w.len(), 0);
        }
    }

    #[test]
    fn remove_cancels_and_stale_keys_are_rejected() {
        let mut w = Wheel::new(0);
        let a = w.insert(10 * TICK_NS, payload());
        let b = w.insert(10 * TICK_NS, payload());
        assert!(w.remove(a).is_some());
        assert!(w.remove(a).is_none());
        assert_eq!(fire_all(&mut w, 10 * TICK_NS), 1);
        assert!(!w.contains(b));
        let c = w.insert(11 * TICK_NS, payload());
        assert_ne!(c, b);
        assert_eq!(w.next_deadline(), Some(11 * TICK_NS));
    }

    #[test]
    fn many_random_deadlines_fire_in_order() {
        let mut w = Wheel::new(0);
        let mut x: u64 = 0x2545F4914F6CDD1D;
        let mut deadlines = Vec::new();
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = x % (10_000 * TICK_NS);
            deadlines.push(d);
            w.insert(d, payload());
        }
        deadlines.sort_unstable();
        let mut fired = 0;
        let mut now = 0;
        while w.len() > 0 {
            let next = w.next_deadline().unwrap();
            assert!(next >= now);
            // The loop only calls `expire` when `may_fire` says so: it must agree with
            // `next_deadline`, or slots are never cascaded and the loop spins.
            assert!(
                w.may_fire(next),
                "may_fire disagrees with next_deadline {next}"
            );
            now = next;
            fired += fire_all(&mut w, now);
            assert_eq!(fired, deadlines.partition_point(|&d| d <= now));
        }
        assert_eq!(fired, 5000);
    }
}
