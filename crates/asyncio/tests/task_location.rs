//! A task's spawn location (what the task dump, `asyncio-ps` and tokio-console show) is the
//! user's line, whichever way it was spawned, and a task asyncio-rs starts for the user carries
//! a name.

/// `file:line` of the task running this.
fn here() -> String {
    let task = asyncio::current_task().expect("inside a task");
    format!("{}:{}", task.location().file(), task.location().line())
}

fn at(line: u32) -> String {
    format!("{}:{line}", file!())
}

#[test]
fn every_spawn_blames_its_caller() {
    asyncio::run(async {
        let line = line!() + 1;
        let t = asyncio::spawn(async { here() });
        assert_eq!(t.await.unwrap(), at(line));

        // A method chain: the location is the `spawn` call's line.
        let line = line!() + 3;
        let t = asyncio::task::Builder::new()
            .name("b")
            .spawn(async { here() });
        assert_eq!(t.await.unwrap(), at(line));

        let group = asyncio::task::TaskGroup::new();
        let line = line!() + 1;
        let t = group.spawn(async { Ok::<_, ()>(here()) });
        group.wait().await.unwrap();
        assert_eq!(t.await.unwrap(), Some(at(line)));

        let remote = asyncio::get_running_loop().remote();
        let (line, from_thread) = std::thread::spawn(move || {
            let line = line!() + 1;
            let handle = remote.spawn(async { here() }).unwrap();
            (line, handle)
        })
        .join()
        .unwrap();
        assert_eq!(from_thread.await.unwrap(), at(line));

        let remote = asyncio::get_running_loop().remote();
        let (line, made) = std::thread::spawn(move || {
            let line = line!() + 1;
            let handle = remote.spawn_with(|| async { here() }).unwrap();
            (line, handle)
        })
        .join()
        .unwrap();
        assert_eq!(made.await.unwrap(), at(line));
    });
}

#[test]
fn a_runtime_spawn_blames_its_caller() {
    let rt = asyncio::cores::Runtime::builder().loops(2).build().unwrap();
    let handle = rt.handle();
    let (here_line, there_line, here_at, there_at) = rt.block_on(async move {
        let here_line = line!() + 1;
        let a = handle.spawn_on(0, || async { here() }).unwrap();
        let there_line = line!() + 1;
        let b = handle.spawn_on(1, || async { here() }).unwrap();
        (here_line, there_line, a.await.unwrap(), b.await.unwrap())
    });
    assert_eq!(here_at, at(here_line));
    assert_eq!(there_at, at(there_line));
}

#[test]
fn tasks_started_for_the_user_are_named() {
    asyncio::run(async {
        let connected = std::rc::Rc::new(asyncio::sync::Event::new());
        let seen = connected.clone();
        let server = asyncio::streams::start_server(
            move |mut r, _w| {
                let seen = seen.clone();
                async move {
                    seen.set();
                    let _ = r.readline().await;
                }
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let (_r, w) = asyncio::streams::open_connection(server.local_addr().unwrap())
            .await
            .unwrap();
        connected.wait().await;
        let names: Vec<String> = asyncio::all_tasks().iter().map(|t| t.name()).collect();
        assert!(names.iter().any(|n| n == "server.accept"), "{names:?}");
        assert!(names.iter().any(|n| n == "server.connection"), "{names:?}");
        w.close();
        server.close();
        server.wait_closed().await;
    });
}
