//! Guest mode inside glib's main loop (the loop GTK runs), headless: glib needs no display.
//! One run checks what a GUI program needs of it: timers on time while glib runs, sockets,
//! glib's own timer keeping its rate while 10,000 tasks run, and a clean end when the "window"
//! closes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio::guest::glib::glib;

/// What the guest's main future measured.
#[derive(Debug, Default)]
struct Report {
    /// How late each of the sleeps ended.
    lateness: Vec<Duration>,
    echoed: Vec<u8>,
    /// When the burst of tasks began and ended.
    burst: Option<(Instant, Instant)>,
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn a_guest_run_inside_glibs_main_loop() {
    let context = glib::MainContext::default();
    let _owner = context.acquire().expect("the default context is free");
    let main_loop = glib::MainLoop::new(Some(&context), false);
    // glib's own descriptors exist by now.
    let descriptors_before = open_descriptors();

    // glib's own timer, as a GUI's redraw or animation would be: every 2 ms.
    let host_ticks: Rc<RefCell<Vec<Instant>>> = Rc::default();
    let ticks = host_ticks.clone();
    glib::timeout_add_local(Duration::from_millis(2), move || {
        ticks.borrow_mut().push(Instant::now());
        glib::ControlFlow::Continue
    });

    let report: Rc<RefCell<Report>> = Rc::default();
    let checked = Rc::new(Cell::new(false));
    let outcome: Rc<RefCell<Option<Result<(), asyncio::task::TaskError>>>> = Rc::default();
    let run = {
        let (report, checked, outcome, quit) = (
            report.clone(),
            checked.clone(),
            outcome.clone(),
            main_loop.clone(),
        );
        asyncio::guest::start(
            async move {
                // Timers.
                for _ in 0..40 {
                    let asked = Duration::from_millis(3);
                    let start = Instant::now();
                    asyncio::time::sleep(asked).await;
                    let late = start.elapsed().saturating_sub(asked);
                    report.borrow_mut().lateness.push(late);
                }
                // Sockets: an echo server and a client, both on the guest loop.
                let server = asyncio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .unwrap();
                let addr = server.local_addr().unwrap();
                let echo = asyncio::spawn(async move {
                    let (stream, _) = server.accept().await.unwrap();
                    let mut buf = [0u8; 64];
                    let n = stream.read(&mut buf).await.unwrap();
                    stream.write_all(&buf[..n]).await.unwrap();
                });
                let client = asyncio::net::TcpStream::connect(addr).await.unwrap();
                client.write_all(b"through glib").await.unwrap();
                let mut buf = vec![0u8; 64];
                let n = client.read(&mut buf).await.unwrap();
                buf.truncate(n);
                report.borrow_mut().echoed = buf;
                echo.await.unwrap();
                // A burst: 10,000 tasks, ten turns each.
                let started = Instant::now();
                let tasks: Vec<_> = (0..10_000)
                    .map(|_| {
                        asyncio::spawn(async {
                            for _ in 0..10 {
                                asyncio::time::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                report.borrow_mut().burst = Some((started, Instant::now()));
                checked.set(true);
                // The window stays open until the user closes it.
                std::future::pending::<()>().await;
            },
            move |result| {
                *outcome.borrow_mut() = Some(result);
                quit.quit();
            },
        )
        .unwrap()
    };
    let run = Rc::new(run);
    let event_loop = run.event_loop().clone();
    asyncio::guest::glib::attach(run.clone());

    // The window closes once the checks ran (a glib callback, as a close button's would be).
    let closer = run.clone();
    glib::timeout_add_local(Duration::from_millis(5), move || {
        if checked.get() {
            closer.cancel();
            return glib::ControlFlow::Break;
        }
        glib::ControlFlow::Continue
    });
    main_loop.run();

    let report = report.borrow();
    let mut lateness = report.lateness.clone();
    lateness.sort();
    let median = lateness[lateness.len() / 2];
    assert!(
        median < Duration::from_millis(2),
        "median lateness {median:?}: {lateness:?}"
    );
    assert_eq!(report.echoed, b"through glib");

    let (start, end) = report.burst.expect("the burst ran");
    let during: Vec<Instant> = host_ticks
        .borrow()
        .iter()
        .copied()
        .filter(|t| *t >= start && *t <= end)
        .collect();
    let longest_gap = during
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or(end - start);
    // The figures docs/guest.md quotes (`--nocapture`).
    println!(
        "median lateness {median:?}; glib's 2 ms timer ran {} times in the {:?} burst, \
         longest gap {longest_gap:?}",
        during.len(),
        end - start
    );
    assert!(
        during.len() >= 3 && longest_gap < (end - start) / 3,
        "glib's timer ran {} times during the {:?} burst, longest gap {longest_gap:?}",
        during.len(),
        end - start
    );

    let outcome = outcome.borrow_mut().take().expect("done was called");
    assert!(
        outcome.unwrap_err().is_cancelled(),
        "closing cancels the run"
    );
    assert!(event_loop.is_closed(), "the loop was closed at the end");
    drop(run);
    drop(event_loop);
    assert_eq!(open_descriptors(), descriptors_before, "no descriptor left");
}
