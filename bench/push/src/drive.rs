//! One measured push: resets the peer, `POST /parse/push` with the master key (the push's data
//! carries `sentAt`, this clock in ms just before the request), then polls the `_PushStatus`
//! every `--poll-ms` (time to enqueue = the first poll that sees `status: running` with a
//! `count`), and the peer's counters, until the status is final and the peer has every expected
//! delivery (or `--timeout`). Meanwhile the server's VmRSS is read from `/proc/<pid>/status` every
//! `--rss-ms`. Writes one JSON document (`--out`) with the peer's report.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use serde_json::{Value, json};

use crate::{Error, now_us};

#[derive(ClapArgs)]
pub struct Args {
    /// The server's Parse API (…/parse).
    #[arg(long)]
    base: String,
    #[arg(long)]
    app_id: String,
    #[arg(long)]
    master_key: String,
    /// The push body (JSON) without `data.sentAt`.
    #[arg(long)]
    body: String,
    /// The peer's control URL.
    #[arg(long)]
    control: String,
    /// The hook secret the peer checks signatures with (none: not checked).
    #[arg(long)]
    hook_secret: Option<String>,
    /// The server's process id (VmRSS).
    #[arg(long)]
    pid: u32,
    /// Deliveries the peer should receive (devices, all providers together).
    #[arg(long)]
    expect: u64,
    /// Seconds before giving up.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    #[arg(long, default_value_t = 50)]
    poll_ms: u64,
    #[arg(long, default_value_t = 200)]
    rss_ms: u64,
    /// Seconds to keep sampling after the end (late deliveries, memory given back).
    #[arg(long, default_value_t = 2)]
    drain: u64,
    #[arg(long)]
    out: String,
}

fn rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn delivered(stats: &Value) -> u64 {
    ["apns", "fcm", "hook"].iter().map(|k| stats[k]["deliveries"].as_u64().unwrap_or(0)).sum()
}

pub async fn run(args: Args) -> Result<(), Error> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let parse =
        |r: reqwest::RequestBuilder| r.header("X-Parse-Application-Id", &args.app_id).header("X-Parse-Master-Key", &args.master_key);

    // Memory, sampled on its own thread so that slow polls do not thin the samples.
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (stop, pid, every) = (stop.clone(), args.pid, Duration::from_millis(args.rss_ms));
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Some(kb) = rss_kb(pid) {
                    samples.push((now_us() / 1000, kb));
                }
                std::thread::sleep(every);
            }
            samples
        })
    };
    let rss_start = rss_kb(args.pid);

    let mut body: Value = serde_json::from_str(&args.body)?;
    let t0 = now_us();
    let t0_ms = t0 as f64 / 1000.0;
    http.post(format!("{}/reset", args.control))
        .json(&json!({"t0": t0_ms, "hookSecret": args.hook_secret}))
        .send()
        .await?
        .error_for_status()?;
    let t0 = now_us();
    body["data"]["sentAt"] = json!(t0 as f64 / 1000.0);
    let started = Instant::now();
    let resp = parse(http.post(format!("{}/push", args.base))).json(&body).send().await?;
    let answer_ms = started.elapsed().as_secs_f64() * 1000.0;
    let code = resp.status().as_u16();
    let status_id = resp.headers().get("x-parse-push-status-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    let Some(status_id) = status_id else {
        stop.store(true, Ordering::Relaxed);
        let _ = sampler.join();
        return Err(format!("POST /push answered {code} {answer} without X-Parse-Push-Status-Id").into());
    };

    let deadline = started + Duration::from_secs(args.timeout);
    let (mut enqueue_ms, mut done_ms, mut last_status, mut count_seen) = (None, None, Value::Null, None);
    let mut progress = Vec::new();
    let mut last_progress = Instant::now() - Duration::from_secs(10);
    let mut delivered_n = 0;
    let mut timed_out = false;
    loop {
        if let Ok(r) = parse(http.get(format!("{}/classes/_PushStatus/{status_id}", args.base))).send().await
            && let Ok(v) = r.json::<Value>().await
        {
            let st = v["status"].as_str().unwrap_or("").to_string();
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            if enqueue_ms.is_none() && st == "running" && v["count"].is_number() {
                enqueue_ms = Some(elapsed);
                count_seen = v["count"].as_f64();
            }
            if done_ms.is_none() && (st == "succeeded" || st == "failed") {
                done_ms = Some(elapsed);
            }
            last_status = v;
        }
        if last_progress.elapsed() >= Duration::from_millis(500) {
            last_progress = Instant::now();
            if let Ok(r) = http.get(format!("{}/stats", args.control)).send().await
                && let Ok(s) = r.json::<Value>().await
            {
                delivered_n = delivered(&s);
                progress.push(json!({"s": started.elapsed().as_secs_f64(), "delivered": delivered_n,
                    "numSent": last_status["numSent"], "status": last_status["status"]}));
            }
        }
        // A final status with devices missing: what failed will not come; late ones get 5 s.
        if let Some(done) = done_ms
            && (delivered_n >= args.expect || started.elapsed().as_secs_f64() * 1000.0 - done > 5000.0)
        {
            break;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
    }
    let end_ms = started.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_secs(args.drain)).await;
    let report: Value = http.get(format!("{}/report", args.control)).send().await?.json().await?;
    // A server still busy with the push may not answer in time: the last status polled stands in.
    let final_status = match parse(http.get(format!("{}/classes/_PushStatus/{status_id}", args.base))).send().await {
        Ok(r) => r.json::<Value>().await.unwrap_or(last_status),
        Err(_) => last_status,
    };
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap_or_default();
    let max = samples.iter().map(|s| s.1).chain(rss_start).max();
    let out = json!({
        "t0Ms": t0_ms, "pushAnswer": {"status": code, "ms": answer_ms, "body": answer}, "statusId": status_id,
        "enqueueMs": enqueue_ms, "countAtRunning": count_seen, "doneMs": done_ms, "endMs": end_ms, "timedOut": timed_out,
        "expect": args.expect, "finalStatus": final_status, "peer": report,
        "rss": {"startKb": rss_start, "maxKb": max, "endKb": samples.last().map(|s| s.1), "samples": samples.len(), "everyMs": args.rss_ms,
                "series": samples.iter().step_by(5).map(|s| json!([(s.0 as f64 - t0_ms) / 1000.0, s.1])).collect::<Vec<_>>()},
        "progress": progress,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&out)?)?;
    eprintln!(
        "drive: answer {code} in {answer_ms:.0} ms, enqueued {:?} ms, done {:?} ms, delivered {delivered_n}/{} {}",
        enqueue_ms,
        done_ms,
        args.expect,
        if timed_out { "(timed out)" } else { "" }
    );
    Ok(())
}
