//! Guest mode with the simplest host there is: `poll(2)` on the run's descriptor, then a step.
//! What a host relies on: the descriptor turns readable exactly when there is work (a due
//! timer, another thread's wake-up, work the host scheduled itself), a step never blocks and
//! runs one batch, and the run ends through the done callback.

use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio::guest::GuestRun;
use asyncio::task::TaskError;

/// Waits until `fd` is readable, at most `limit`; true if it is.
fn readable(fd: BorrowedFd<'_>, limit: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = i32::try_from(limit.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: one valid pollfd, exclusively borrowed for the call.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    n > 0
}

/// Drives `run` to its end; `between` runs after each step, as the host's own events would.
/// Returns the number of steps.
fn host(run: &GuestRun, mut between: impl FnMut()) -> usize {
    let mut steps = 0;
    while !run.is_done() {
        assert!(
            readable(run.fd(), Duration::from_secs(10)),
            "the guest never woke its host"
        );
        run.step();
        steps += 1;
        between();
    }
    steps
}

type Outcome<T> = Rc<RefCell<Option<Result<T, TaskError>>>>;

fn slot<T>() -> (Outcome<T>, impl FnOnce(Result<T, TaskError>)) {
    let slot: Outcome<T> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    (slot, move |outcome| *s.borrow_mut() = Some(outcome))
}

#[test]
fn a_timer_wakes_the_host_when_due_and_not_before() {
    let event_loop = asyncio::EventLoop::new();
    let (outcome, done) = slot();
    let started = Instant::now();
    let run = event_loop.start_guest(
        async {
            asyncio::time::sleep(Duration::from_millis(30)).await;
            7
        },
        done,
    );
    let steps = host(&run, || {});
    assert!(started.elapsed() >= Duration::from_millis(30));
    // The first step arms the timer; the timer's step ends the task; one more runs the done
    // callback. No step in between: the descriptor stays quiet until the deadline.
    assert!(steps <= 4, "{steps} steps for one sleep");
    assert_eq!(outcome.borrow_mut().take().unwrap().unwrap(), 7);
    assert!(!event_loop.is_running(), "the run ended");
}

#[test]
fn another_threads_work_wakes_the_host() {
    let event_loop = asyncio::EventLoop::new();
    let (outcome, done) = slot();
    let run = event_loop.start_guest(
        async {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let job = asyncio::blocking::to_thread(move || rx.recv().map(|()| 5));
            tx.send(()).unwrap();
            job.await.unwrap().unwrap()
        },
        done,
    );
    host(&run, || {});
    assert_eq!(outcome.borrow_mut().take().unwrap().unwrap(), 5);
}

#[test]
fn work_the_host_schedules_between_steps_wakes_it() {
    let event_loop = asyncio::EventLoop::new();
    let (outcome, done) = slot();
    let event = Rc::new(asyncio::sync::Event::new());
    let value = Rc::new(Cell::new(0));
    let run = {
        let (event, value) = (event.clone(), value.clone());
        event_loop.start_guest(
            async move {
                event.wait().await;
                value.get()
            },
            done,
        )
    };
    // Let the main task reach its wait.
    while event_loop.metrics().polls == 0 {
        assert!(readable(run.fd(), Duration::from_secs(10)));
        run.step();
    }
    assert!(
        !readable(run.fd(), Duration::ZERO),
        "nothing to do: the descriptor is quiet"
    );
    // Host code (a button handler, say) uses the loop, which counts as running.
    asyncio::spawn(async move {
        value.set(11);
        event.set();
    });
    assert!(
        readable(run.fd(), Duration::ZERO),
        "a spawn from the host makes the descriptor readable at once"
    );
    host(&run, || {});
    assert_eq!(outcome.borrow_mut().take().unwrap().unwrap(), 11);
}

async fn yielding_tasks() {
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            asyncio::spawn(async {
                for _ in 0..50 {
                    asyncio::time::yield_now().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[test]
fn without_a_budget_the_host_gets_a_turn_after_every_batch() {
    let event_loop = asyncio::EventLoop::new();
    let (outcome, done) = slot();
    let run = event_loop.start_guest(yielding_tasks(), done);
    run.set_step_budget(None);
    let mut host_turns = 0;
    let steps = host(&run, || host_turns += 1);
    assert!(outcome.borrow().as_ref().unwrap().is_ok());
    // Fifty yields each: at least fifty batches, each followed by a turn of the host.
    assert!(steps >= 50, "{steps} steps");
    assert_eq!(host_turns, steps);
}

#[test]
fn within_its_budget_a_step_runs_batch_after_batch() {
    let event_loop = asyncio::EventLoop::new();
    let (outcome, done) = slot();
    let run = event_loop.start_guest(yielding_tasks(), done);
    run.set_step_budget(Some(Duration::from_secs(60)));
    let steps = host(&run, || {});
    assert!(outcome.borrow().as_ref().unwrap().is_ok());
    // 5,000 task steps in 51 batches fit one budget: the start, the work, the done callback.
    assert!(steps <= 3, "{steps} steps");
}

#[test]
fn cancelling_the_run_reports_a_cancelled_error() {
    let event_loop = asyncio::EventLoop::new();
    let (outcome, done) = slot::<()>();
    let run = event_loop.start_guest(std::future::pending::<()>(), done);
    run.step();
    assert!(run.cancel(), "the main task was running");
    host(&run, || {});
    assert!(outcome
        .borrow_mut()
        .take()
        .unwrap()
        .unwrap_err()
        .is_cancelled());
}

#[test]
fn a_panic_reaches_done_as_an_error_and_the_loop_keeps_working() {
    let event_loop = asyncio::EventLoop::new();
    let (outcome, done) = slot::<()>();
    let run = event_loop.start_guest(async { panic!("boom") }, done);
    host(&run, || {});
    let err = outcome.borrow_mut().take().unwrap().unwrap_err();
    assert_eq!(err.panic_message(), Some("boom"));
    assert_eq!(event_loop.run_until_complete(async { 3 }), 3);
}

#[test]
fn start_closes_its_loop_after_cancelling_what_is_left() {
    let (outcome, done) = slot();
    let left = Rc::new(Cell::new(false));
    let l = left.clone();
    let run = asyncio::guest::start(
        async move {
            // A task the main future does not await: cancelled at the end, as asyncio.run does.
            asyncio::spawn(async move {
                let _cancelled = Flag(l);
                std::future::pending::<()>().await;
            });
            asyncio::time::sleep(Duration::from_millis(1)).await;
            "out"
        },
        done,
    )
    .unwrap();
    let event_loop = run.event_loop().clone();
    host(&run, || {});
    assert_eq!(outcome.borrow_mut().take().unwrap().unwrap(), "out");
    assert!(
        left.get(),
        "the task left behind was cancelled (its destructor ran)"
    );
    assert!(event_loop.is_closed());
}

/// Sets its flag when dropped.
struct Flag(Rc<Cell<bool>>);

impl Drop for Flag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn a_second_run_on_the_same_thread_is_refused_while_one_is_on() {
    let event_loop = asyncio::EventLoop::new();
    let (_, done) = slot::<()>();
    let run = event_loop.start_guest(std::future::pending::<()>(), done);
    let other = asyncio::EventLoop::new();
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        other.run_until_complete(async {});
    }));
    assert!(
        refused.is_err(),
        "another loop cannot run inside a guest run"
    );
    run.cancel();
    host(&run, || {});
}

#[test]
fn stop_during_a_run_is_reported_once_and_leaves_the_descriptor_quiet() {
    let event_loop = asyncio::EventLoop::new();
    let (outcome, done) = slot();
    let run = event_loop.start_guest(
        async {
            asyncio::get_running_loop().stop();
            asyncio::time::sleep(Duration::from_millis(40)).await;
        },
        done,
    );
    assert!(!run.stop_requested());
    run.step();
    assert!(run.stop_requested(), "the step saw the stop");
    // Nothing is ready until the sleep ends: a stop nobody acted on must not keep the
    // descriptor readable (the host would spin).
    assert!(
        !readable(run.fd(), Duration::from_millis(10)),
        "the descriptor stayed readable after a stop"
    );
    host(&run, || {});
    assert!(outcome.borrow_mut().take().unwrap().is_ok());
}

/// Spins for `d` (work, not a wait: the step budget counts time spent running).
fn busy(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[test]
fn a_long_batch_is_split_across_steps_in_order_by_the_step_budget() {
    for budget in [Some(Duration::from_millis(1)), None] {
        let event_loop = asyncio::EventLoop::new();
        let order = Rc::new(RefCell::new(Vec::new()));
        let (outcome, done) = slot();
        let o = order.clone();
        let run = event_loop.start_guest(
            async move {
                // 400 callbacks of 20 µs: 8 ms in one batch.
                for i in 0..400 {
                    let o = o.clone();
                    asyncio::get_running_loop().call_soon(move || {
                        busy(Duration::from_micros(20));
                        o.borrow_mut().push(i);
                    });
                }
                asyncio::time::yield_now().await;
            },
            done,
        );
        run.set_step_budget(budget);
        let mut runs_per_step = Vec::new();
        let mut before = 0;
        host(&run, || {
            let now = order.borrow().len();
            runs_per_step.push(now - before);
            before = now;
        });
        assert!(outcome.borrow().as_ref().unwrap().is_ok());
        assert_eq!(*order.borrow(), (0..400).collect::<Vec<_>>(), "order kept");
        let most = runs_per_step.iter().copied().max().unwrap();
        match budget {
            // 1 ms holds 50 callbacks of 20 µs, plus the up to 15 before the clock is read.
            Some(_) => assert!(most <= 66, "a step ran {most} callbacks: {runs_per_step:?}"),
            None => assert_eq!(most, 400, "one step runs the whole batch without a budget"),
        }
    }
}
