//! Files on the pool: whole-file helpers, streaming a large file, seeking, directories, and
//! errors that name the path (a full disk among them).

use std::io::SeekFrom;

use asyncio::fs::{self, File};
use asyncio::io::{AsyncReadExt, AsyncWriteExt};

fn tempdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("asyncio-fs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[asyncio::test]
async fn whole_file_helpers_and_directories() {
    let d = tempdir("helpers");
    fs::create_dir_all(d.join("a/b")).await.unwrap();
    fs::write(d.join("a/b/x.txt"), "hello").await.unwrap();
    assert_eq!(
        fs::read_to_string(d.join("a/b/x.txt")).await.unwrap(),
        "hello"
    );
    assert_eq!(
        fs::copy(d.join("a/b/x.txt"), d.join("y.txt"))
            .await
            .unwrap(),
        5
    );
    fs::rename(d.join("y.txt"), d.join("z.txt")).await.unwrap();
    assert_eq!(fs::metadata(d.join("z.txt")).await.unwrap().len(), 5);
    let mut names = Vec::new();
    let mut entries = fs::read_dir(&d).await.unwrap();
    while let Some(e) = entries.next_entry().await.unwrap() {
        names.push((
            e.file_name().into_string().unwrap(),
            e.file_type().unwrap().is_dir(),
        ));
    }
    names.sort();
    assert_eq!(
        names,
        [("a".to_string(), true), ("z.txt".to_string(), false)]
    );
    fs::remove_file(d.join("z.txt")).await.unwrap();
    fs::remove_dir_all(&d).await.unwrap();
    assert!(!d.exists());
}

#[asyncio::test]
async fn many_entries_come_in_batches() {
    let d = tempdir("many");
    for i in 0..700 {
        std::fs::write(d.join(format!("f{i}")), b"").unwrap();
    }
    let mut n = 0;
    let mut entries = fs::read_dir(&d).await.unwrap();
    while entries.next_entry().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 700);
    std::fs::remove_dir_all(&d).unwrap();
}

#[asyncio::test]
async fn errors_name_the_path() {
    let missing = std::env::temp_dir().join("asyncio-definitely-missing/file");
    let e = fs::read(&missing).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert!(e.to_string().contains("asyncio-definitely-missing"), "{e}");
    let d = tempdir("utf8");
    std::fs::write(d.join("bad"), [0xff, 0xfe]).unwrap();
    let e = fs::read_to_string(d.join("bad")).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(e.to_string().contains("bad"), "{e}");
    let e = fs::rename(d.join("nope"), d.join("other"))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("nope") && e.to_string().contains("other"),
        "{e}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[asyncio::test]
async fn a_full_disk_is_an_error_naming_the_file() {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    let mut f = File::open_with("/dev/full", o).await.unwrap();
    // Writes are buffered; the error surfaces at the latest on flush.
    let r = async {
        f.write_all(&vec![1u8; 1 << 20]).await?;
        f.flush().await
    }
    .await;
    let e = r.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "{e:?}");
    assert!(e.to_string().contains("/dev/full"), "{e}");
}

#[asyncio::test]
async fn a_large_file_streams_through_in_chunks() {
    let d = tempdir("large");
    let path = d.join("big");
    // 64 MiB written 1 MiB at a time and read back with a running checksum: never all in
    // memory.
    let mut f = File::create(&path).await.unwrap();
    let mut written = 0u64;
    let mut sum_w = 0u64;
    for i in 0..64u64 {
        let block: Vec<u8> = (0..1 << 20)
            .map(|j| ((i * 31 + j as u64) % 251) as u8)
            .collect();
        sum_w = block
            .iter()
            .fold(sum_w, |s, &b| s.wrapping_mul(31).wrapping_add(b as u64));
        f.write_all(&block).await.unwrap();
        written += block.len() as u64;
    }
    f.sync_all().await.unwrap();
    assert_eq!(f.metadata().await.unwrap().len(), written);
    let mut f = File::open(&path).await.unwrap();
    let mut buf = vec![0u8; 100_000];
    let (mut read, mut sum_r) = (0u64, 0u64);
    loop {
        let n = f.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        sum_r = buf[..n]
            .iter()
            .fold(sum_r, |s, &b| s.wrapping_mul(31).wrapping_add(b as u64));
        read += n as u64;
    }
    assert_eq!((read, sum_r), (written, sum_w));
    std::fs::remove_dir_all(&d).unwrap();
}

#[asyncio::test]
async fn seek_read_and_write_interleave() {
    let d = tempdir("seek");
    let path = d.join("s");
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create(true).truncate(true);
    let mut f = File::open_with(&path, o).await.unwrap();
    f.write_all(b"hello world").await.unwrap();
    assert_eq!(f.seek(SeekFrom::Start(6)).await.unwrap(), 6);
    let mut word = [0u8; 5];
    f.read_exact(&mut word).await.unwrap();
    assert_eq!(&word, b"world");
    f.seek(SeekFrom::Start(0)).await.unwrap();
    let mut one = [0u8; 1];
    f.read_exact(&mut one).await.unwrap();
    // The read-ahead went further; a write lands right after what was read.
    f.write_all(b"E").await.unwrap();
    f.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hEllo world");
    std::fs::remove_dir_all(&d).unwrap();
}

/// Drops `path`'s pages from the page cache (after `fsync`), so reads must wait for the disk.
fn evict(path: &std::path::Path) {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).unwrap();
    f.sync_all().unwrap();
    // SAFETY: an advice call on a descriptor `f` keeps open; no memory is passed.
    let r = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(r, 0, "posix_fadvise");
}

/// Cached reads are served on the loop's thread and uncached ones on the pool with a chunk of
/// read-ahead in flight: either way the bytes arrive in order, and a write after a partial read
/// lands right after what was read, not after the read-ahead.
#[asyncio::test]
async fn reads_cached_or_not_keep_the_offset_where_the_caller_is() {
    let d = tempdir("readahead");
    let path = d.join("r");
    let content: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 253) as u8).collect();
    for cached in [true, false] {
        std::fs::write(&path, &content).unwrap();
        for (read_size, stop_at) in [(100_000, 300_000), (1000, 5_000), (64 * 1024, 1 << 20)] {
            if !cached {
                evict(&path);
            }
            let mut o = std::fs::OpenOptions::new();
            o.read(true).write(true);
            let mut f = File::open_with(&path, o).await.unwrap();
            let mut got = Vec::new();
            let mut buf = vec![0u8; read_size];
            while got.len() < stop_at {
                let n = f.read(&mut buf).await.unwrap();
                assert!(n > 0, "early end of file at {}", got.len());
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got[..], content[..got.len()], "cached={cached} {read_size}");
            let at = got.len();
            f.write_all(b"XY").await.unwrap();
            f.close().await.unwrap();
            let after = std::fs::read(&path).unwrap();
            assert_eq!(after.len(), content.len());
            assert_eq!(&after[at..at + 2], b"XY", "cached={cached} {read_size}");
            assert_eq!(after[..at], content[..at]);
            assert_eq!(after[at + 2..], content[at + 2..]);
            std::fs::write(&path, &content).unwrap();
        }
        // Reading to the end gives every byte once, then end of file.
        if !cached {
            evict(&path);
        }
        let mut f = File::open(&path).await.unwrap();
        let mut all = Vec::new();
        f.read_to_end(&mut all).await.unwrap();
        assert!(all == content, "cached={cached}: read_to_end differs");
        assert_eq!(f.read(&mut [0u8; 10]).await.unwrap(), 0);
    }
    std::fs::remove_dir_all(&d).unwrap();
}
