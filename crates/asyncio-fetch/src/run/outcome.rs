//! How a run ends: the last flush of the output and the archive, the summary, and the
//! problems the exit status must show.

use std::time::Duration;

use super::hub::Hub;
use super::intake::Intake;
use super::mode::{Mode, SharedRun};
use crate::record::Output;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Every URL was taken.
    Done,
    /// A signal cut it short.
    Interrupted,
    /// Writing a result failed: the run stopped (the message says why).
    OutputFailed(String),
    /// The reader of standard output went away (`| head`): the run stopped quietly.
    BrokenPipe,
}

/// What the run reports back.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) summary: String,
    pub(crate) ending: Ending,
    /// Something failed that the results cannot show (the input could not be read to the end,
    /// bodies could not be saved): the exit status must say so.
    pub(crate) problems: Vec<String>,
}

impl Outcome {
    /// A run that stopped because its output failed (`e`): nothing more is reported.
    fn output_failed(e: &std::io::Error, what: &str) -> Self {
        Self {
            summary: String::new(),
            ending: if e.kind() == std::io::ErrorKind::BrokenPipe {
                Ending::BrokenPipe
            } else {
                Ending::OutputFailed(format!("{what}: {e}"))
            },
            problems: Vec::new(),
        }
    }
}

/// Closes the run once every lane and the writer have ended: makes the output, the frontier
/// and the archive durable, gives back a shared job's unfinished leases, and renders the
/// summary.
pub(crate) async fn close(hub: &Hub, intake: Option<Intake>, wall: Duration) -> Outcome {
    hub.progress.finish();
    let ending = hub.ending.borrow().clone();
    if !matches!(ending, Ending::OutputFailed(_) | Ending::BrokenPipe) {
        let finished = hub
            .flush_dependencies()
            .and_then(|()| match &hub.warc {
                Some(w) => w.borrow_mut().finish(),
                None => Ok(()),
            })
            .and_then(|()| hub.output.borrow_mut().finish());
        if let Err(e) = finished {
            return Outcome::output_failed(&e, "cannot write the results");
        }
    }
    let mut problems = Vec::new();
    let note = match &hub.mode {
        Mode::Shared(run) => shared_note(run, &mut problems).await,
        Mode::Crawl { frontier, .. } => {
            let mut f = frontier.borrow_mut();
            let note = format!(
                "crawl: {} URLs discovered{}\n",
                f.seen(),
                if f.is_empty() {
                    ", all done"
                } else {
                    "; some not fetched yet (--resume goes on)"
                }
            );
            if let Err(e) = f.close() {
                problems.push(format!("the frontier file: {e}"));
            }
            note
        }
        Mode::List { .. } => String::new(),
    };
    let mut summary = hub.summary.borrow_mut();
    match intake {
        Some(intake) => {
            summary.invalid_lines += intake.invalid;
            problems.extend(intake.failed);
        }
        None => problems.push("the input's reader ended unexpectedly".to_owned()),
    }
    if summary.save_failed > 0 {
        problems.push(format!("{} bodies could not be saved", summary.save_failed));
    }
    let mut text = summary.render(wall, ending == Ending::Interrupted);
    text.push_str(&note);
    Outcome {
        summary: text,
        ending,
        problems,
    }
}

/// What this worker took and did not finish goes back at once (no lease to wait out); the
/// job's totals, as a line of the summary.
async fn shared_note(run: &SharedRun, problems: &mut Vec<String>) -> String {
    let job = &run.job;
    let back = job.give_back().await;
    match back.and(job.totals().await) {
        Ok(t) => format!(
            "job {}: {} recorded by all workers ({} by this one, {} errors in all); \
             {} discovered, {} queued, {} leased{}\n",
            run.name,
            t.recorded,
            job.recorded_here(),
            t.errors,
            t.discovered,
            t.queued,
            t.leased,
            if t.queued == 0 && t.leased == 0 {
                ", all done"
            } else {
                ""
            }
        ),
        Err(e) => {
            problems.push(format!("the shared job's Redis: {e}"));
            String::new()
        }
    }
}

/// `--export`: every line the shared job recorded, to the output.
///
/// # Errors
/// The output cannot be opened.
pub(crate) async fn export(
    run: &SharedRun,
    output: Option<&std::path::Path>,
) -> std::io::Result<Outcome> {
    let mut output = Output::open(output, false)?;
    let exported = run
        .job
        .export(|line| output.write_line(line, || Ok(())))
        .await
        .and_then(|n| output.finish().map(|()| n).map_err(|e| e.to_string()));
    Ok(match exported {
        Ok(n) => Outcome {
            summary: format!("job {}: {n} results exported\n", run.name),
            ending: Ending::Done,
            problems: Vec::new(),
        },
        Err(e) => Outcome {
            summary: String::new(),
            ending: Ending::OutputFailed(e),
            problems: Vec::new(),
        },
    })
}
