//! asyncio-rs as a guest of winit's event loop: a window whose title a task updates ten times a
//! second, and a TCP echo round trip on loopback, all on the main thread, which winit owns.
//!
//! winit cannot watch a descriptor, but it can take a user event from another thread
//! (`EventLoopProxy`). So a small waiter thread polls the run's descriptor and sends a `Wake`
//! when the loop has work; winit's `user_event` runs one step on the main thread, then tells
//! the waiter to poll again (trio's `run_sync_soon_threadsafe` shape). Closing the window
//! cancels the run; the event loop exits once the run ended.
//!
//! ```text
//! cargo run -p asyncio-ecosystem --example guest_winit              # until the window closes
//! cargo run -p asyncio-ecosystem --example guest_winit -- --exit-after 1
//! ```
//!
//! It needs an X display (`DISPLAY`; Xvfb will do).

use std::cell::{Cell, RefCell};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use asyncio::guest::GuestRun;
use asyncio::net::{TcpListener, TcpStream};
use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, EventLoop, EventLoopProxy};
use winit::window::{Window, WindowId};

/// "The loop has work": sent by the waiter thread.
struct Wake;

/// What the example reports at the end.
#[derive(Debug, Default)]
struct Report {
    ticks: u32,
    echoed: bool,
}

struct App {
    run: Option<GuestRun>,
    window: Rc<RefCell<Option<Arc<Window>>>>,
    /// Tells the waiter a step ran (it polls again); dropped at the end (it exits).
    stepped: Option<mpsc::Sender<()>>,
    /// Closed at the end: the waiter's poll returns.
    stop: Option<OwnedFd>,
    ended: Rc<Cell<Option<Result<Report, String>>>>,
}

impl ApplicationHandler<Wake> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.window.borrow().is_none() {
            let attributes = Window::default_attributes()
                .with_title("asyncio-rs in winit")
                .with_inner_size(winit::dpi::LogicalSize::new(360.0, 120.0));
            let window = event_loop.create_window(attributes).expect("a window");
            *self.window.borrow_mut() = Some(Arc::new(window));
        }
    }

    fn window_event(&mut self, _: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        if let WindowEvent::CloseRequested = event {
            if let Some(run) = &self.run {
                run.cancel();
            }
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, _: Wake) {
        let Some(run) = &self.run else { return };
        run.step();
        if run.is_done() {
            self.run = None;
            self.stepped = None;
            self.stop = None;
            event_loop.exit();
        } else if let Some(stepped) = &self.stepped {
            let _ = stepped.send(());
        }
    }
}

/// Polls `fd` (and `stop`) on its own thread; sends `Wake` when `fd` is readable and waits for
/// the step before polling again.
fn spawn_waiter(fd: OwnedFd, proxy: EventLoopProxy<Wake>) -> (mpsc::Sender<()>, OwnedFd) {
    let mut ends = [0; 2];
    // SAFETY: `ends` has room for the two descriptors pipe2 writes.
    let made = unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(made, 0, "a pipe");
    // SAFETY: both descriptors are new and owned by nothing else.
    let (stop_r, stop_w) =
        unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    let (stepped_tx, stepped_rx) = mpsc::channel();
    std::thread::spawn(move || loop {
        let mut fds = [
            libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: stop_r.as_fd().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: two valid pollfds, exclusively borrowed for the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if n < 0 || fds[1].revents != 0 {
            return; // the run ended (the pipe's writer closed)
        }
        if proxy.send_event(Wake).is_err() || stepped_rx.recv().is_err() {
            return;
        }
    });
    (stepped_tx, stop_w)
}

/// The guest run's work: a title counter, and an echo over TCP.
async fn work(window: Rc<RefCell<Option<Arc<Window>>>>, exit_after: Option<Duration>) -> Report {
    let mut report = Report::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = asyncio::spawn(async move {
        let (conn, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 5];
        conn.read_exact(&mut buf).await.expect("read");
        conn.write_all(&buf).await.expect("write");
    });
    let client = TcpStream::connect(addr).await.expect("connect");
    client.write_all(b"hello").await.expect("send");
    let mut back = [0u8; 5];
    client.read_exact(&mut back).await.expect("receive");
    report.echoed = &back == b"hello";
    server.await.expect("the server task");

    let mut interval = asyncio::time::interval(Duration::from_millis(100));
    let started = asyncio::time::Instant::now();
    loop {
        interval.tick().await;
        report.ticks += 1;
        if let Some(window) = &*window.borrow() {
            window.set_title(&format!(
                "asyncio-rs in winit: {:.1} s",
                started.elapsed().as_secs_f64()
            ));
        }
        if exit_after.is_some_and(|limit| started.elapsed() >= limit) {
            return report;
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut exit_after = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--exit-after" => {
                let secs: f64 = args.next().ok_or("--exit-after SECONDS")?.parse()?;
                exit_after = Some(Duration::from_secs_f64(secs));
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let event_loop = EventLoop::<Wake>::with_user_event().build()?;
    let window = Rc::new(RefCell::new(None));
    let ended = Rc::new(Cell::new(None));
    let slot = ended.clone();
    let run = asyncio::guest::start(work(window.clone(), exit_after), move |outcome| {
        slot.set(Some(outcome.map_err(|e| e.to_string())));
    })?;
    let (stepped, stop) = spawn_waiter(run.fd().try_clone_to_owned()?, event_loop.create_proxy());
    let mut app = App {
        run: Some(run),
        window,
        stepped: Some(stepped),
        stop: Some(stop),
        ended: ended.clone(),
    };
    event_loop.run_app(&mut app)?;
    match app.ended.take() {
        Some(Ok(report)) => {
            println!("ticks {} echoed {}", report.ticks, report.echoed);
            if report.echoed && report.ticks > 0 {
                Ok(())
            } else {
                Err("the run did not do its work".into())
            }
        }
        Some(Err(e)) => {
            println!("the run ended: {e}");
            Ok(())
        }
        None => Err("winit's loop ended before the run".into()),
    }
}
