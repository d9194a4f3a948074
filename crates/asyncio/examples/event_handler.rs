//! Seed 001, example 2: callbacks with `call_soon`, a loop built by hand, `run_forever`, and a
//! handler that calls `stop()`.

use asyncio::EventLoop;

fn event_handler(lp: &EventLoop, stop: bool) {
    println!("Calling event handler");
    if stop {
        println!("Loop is being stopped");
        lp.stop();
    }
}

fn main() {
    let lp = EventLoop::new();
    let (a, b) = (lp.clone(), lp.clone());
    lp.call_soon(move || event_handler(&a, false));
    println!("Loop is being started");
    lp.call_soon(move || event_handler(&b, true));
    lp.run_forever();
    // The seed's `finally:` block.
    println!("Loop is being closed");
    lp.close();
}
