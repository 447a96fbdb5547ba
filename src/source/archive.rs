//! Safe extraction of untrusted archives (`<folder>.tar.gz`, KonViD-150k's zips) into
//! the clips folder, in one pass over the archive's bytes.
//!
//! Only regular files (and the folders they need) are written. Members with `..`,
//! absolute paths or drive prefixes, links, devices and FIFOs are refused and reported;
//! a path that would pass through an existing symlink is refused too. Each file is
//! written to `<file>.extracting`; its SHA-256 is computed as it is written
//! ([`Extracted`]), so the ingest that follows need not read the clip again. Only when
//! the whole archive has been read without fault (and, for one read during its download,
//! the download verified: [`extract_tar_following`]) are the members renamed to their
//! names and made durable together (one `syncfs`): a crash or a bad archive never leaves
//! a clip under its real name that the archive did not vouch for. The member count is
//! capped (a tar past the cap is refused and what it wrote removed; a zip is refused
//! from its directory before anything is written) and the free space checked for the
//! whole content before anything is written, and again for each member.

use fs_err::{self as fs, File};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::files::atomic::make_durable;
use crate::files::space::ensure_free_space;
use crate::files::with_suffix;
use crate::manifest::clip_name::{NameRule, clip_key};
use crate::source::growing::{Growing, Verdict};
use crate::store::clip_index::Stamp;
use crate::store::hash::Digest;

/// Most members an archive may have (LSVQ's largest folder holds a few thousand clips).
pub const MAX_MEMBERS: usize = 200_000;

/// What an extraction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractReport {
    pub files: usize,
    pub bytes: u64,
    /// `member: reason` for every member that was not written.
    pub refused: Vec<String>,
    /// Every file written, with its hash: what the ingest trusts instead of reading it.
    pub extracted: Vec<Extracted>,
}

/// A member written to disk, hashed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// Its path below the extraction folder (`yfcc-batch1/123.mp4`).
    pub key: String,
    /// Size and modification time right after it was written: a clip whose stamp still
    /// matches holds exactly these bytes.
    pub stamp: Stamp,
    pub sha256: Digest,
}

/// Members written under their temporary names, not yet put in place.
#[derive(Default)]
struct Unpacked {
    refused: Vec<String>,
    /// In archive order; a name met twice keeps its last copy (as tar and unzip do).
    pending: Vec<Pending>,
    by_key: HashMap<String, usize>,
}

struct Pending {
    key: String,
    size: u64,
    sha256: Digest,
}

fn temp_of(target: &Path) -> PathBuf {
    with_suffix(target, ".extracting")
}

impl Unpacked {
    fn add(&mut self, member: Pending) {
        match self.by_key.get(&member.key) {
            Some(at) => self.pending[*at] = member,
            None => {
                self.by_key.insert(member.key.clone(), self.pending.len());
                self.pending.push(member);
            }
        }
    }

    /// Renames every member to its name and makes them durable together.
    fn place(self, dest: &Path) -> Result<ExtractReport, Error> {
        let mut report = ExtractReport {
            refused: self.refused,
            ..ExtractReport::default()
        };
        let mut written = Vec::with_capacity(self.pending.len());
        for member in self.pending {
            let target = dest.join(&member.key);
            fs::rename(temp_of(&target), &target)?;
            let stamp = Stamp::of(&target).ok_or_else(|| {
                Error::bad_archive(format!(
                    "{}: written but cannot be read back",
                    target.display()
                ))
            })?;
            report.files += 1;
            report.bytes += member.size;
            report.extracted.push(Extracted {
                key: member.key,
                stamp,
                sha256: member.sha256,
            });
            written.push(target);
        }
        if !written.is_empty() {
            make_durable(dest, &written)?;
        }
        Ok(report)
    }

    /// Removes what was written, and the folders that are empty without it.
    fn discard(self, dest: &Path) {
        for member in &self.pending {
            let path = temp_of(&dest.join(&member.key));
            let _ = fs::remove_file(&path);
            let mut folder = path.parent();
            while let Some(dir) = folder.filter(|d| d.starts_with(dest) && *d != dest) {
                if std::fs::remove_dir(dir).is_err() {
                    break; // not empty: something else lives there
                }
                folder = dir.parent();
            }
        }
    }
}

/// One member, as the format-specific readers see it.
enum Member {
    File,
    Dir,
    Other(&'static str),
}

fn is_gzip(archive: &Path) -> bool {
    let name = archive.to_string_lossy();
    name.ends_with(".gz") || name.ends_with(".tgz")
}

fn broken_tar(archive: &Path) -> impl Fn(io::Error) -> Error + '_ {
    move |e| {
        Error::bad_archive(format!(
            "{}: not a readable tar archive ({})",
            archive.display(),
            printable(&e.to_string())
        ))
    }
}

/// A reader's message as a terminal can show it: the tar reader quotes the bytes it
/// met, and those of an HTML page or of noise served as an archive are not text.
fn printable(message: &str) -> String {
    const MOST: usize = 160;
    let mut shown: String = message
        .chars()
        .map(|c| {
            if c.is_control() || c == char::REPLACEMENT_CHARACTER {
                '?'
            } else {
                c
            }
        })
        .take(MOST)
        .collect();
    if message.chars().count() > MOST {
        shown.push('…');
    }
    shown
}

/// What a tar's content will need on disk, known without reading it: a `.gz` trailer's
/// uncompressed size (modulo 4 GiB, so never taken below the archive's own size: video
/// does not compress), or a plain tar's size.
fn expected_tar_size(archive: &Path) -> Result<u64, Error> {
    let size = fs::metadata(archive)?.len();
    if !is_gzip(archive) || size < 4 {
        return Ok(size);
    }
    let mut file = File::open(archive)?;
    io::Seek::seek(&mut file, io::SeekFrom::End(-4))?;
    let mut trailer = [0u8; 4];
    file.read_exact(&mut trailer)?;
    Ok(size.max(u64::from(u32::from_le_bytes(trailer))))
}

/// Extracts a `.tar.gz` (or plain `.tar`) into `dest` in one pass. A tar with more than
/// [`MAX_MEMBERS`] members is refused when the count is passed, and the files it wrote
/// are removed.
pub fn extract_tar(archive: &Path, dest: &Path) -> Result<ExtractReport, Error> {
    let needed = expected_tar_size(archive)?;
    ensure_free_space(dest, needed, &format!("extracting {}", archive.display()))?;
    let file = io::BufReader::new(File::open(archive)?);
    unpack_tar(archive, file, dest)?.place(dest)
}

/// Extracts a `.tar.gz` while it downloads to `archive`, reading what `growing` says is
/// on disk and hashed. The members stay under their temporary names until the download
/// is verified; `None` when it is abandoned (what was written is removed: the archive
/// is extracted again once it is whole). A bad archive is reported once the download
/// is verified, so it is the archive's fault and not the transfer's.
pub fn extract_tar_following(
    archive: &Path,
    growing: &Growing,
    dest: &Path,
) -> Result<Option<ExtractReport>, Error> {
    let unpacked = unpack_tar(archive, io::BufReader::new(growing.reader()), dest);
    match growing.verdict() {
        Verdict::Verified => unpacked?.place(dest).map(Some),
        Verdict::Abandoned => {
            if let Ok(unpacked) = unpacked {
                unpacked.discard(dest);
            }
            Ok(None)
        }
    }
}

/// Writes every member of a tar (gzipped when `archive`'s name says so) under its
/// temporary name; on any fault, removes what it wrote.
fn unpack_tar(archive: &Path, reader: impl Read, dest: &Path) -> Result<Unpacked, Error> {
    let mut unpacked = Unpacked::default();
    match unpack_tar_into(archive, reader, dest, &mut unpacked) {
        Ok(()) => Ok(unpacked),
        Err(e) => {
            unpacked.discard(dest);
            Err(e)
        }
    }
}

fn unpack_tar_into(
    archive: &Path,
    reader: impl Read,
    dest: &Path,
    unpacked: &mut Unpacked,
) -> Result<(), Error> {
    let reader: Box<dyn Read> = if is_gzip(archive) {
        Box::new(flate2::read::GzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    let mut tar = tar::Archive::new(reader);
    let mut members = 0usize;
    for entry in tar.entries().map_err(broken_tar(archive))? {
        let mut entry = entry.map_err(broken_tar(archive))?;
        members += 1;
        if members > MAX_MEMBERS {
            return Err(too_many(archive));
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if is_macos_metadata(&name) {
            continue;
        }
        let kind = match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => Member::File,
            tar::EntryType::Directory => Member::Dir,
            tar::EntryType::Symlink => Member::Other("a symbolic link"),
            tar::EntryType::Link => Member::Other("a hard link"),
            tar::EntryType::Char | tar::EntryType::Block => Member::Other("a device node"),
            tar::EntryType::Fifo => Member::Other("a FIFO"),
            // PAX/GNU metadata records are consumed by the reader; anything else is refused.
            _ => Member::Other("not a regular file"),
        };
        let size = entry.header().size().unwrap_or(0);
        write_member(dest, &name, kind, size, &mut entry, unpacked)
            .map_err(|e| in_archive(archive, e))?;
    }
    // To the end of the stream, so the gzip trailer's CRC and length are checked.
    io::copy(&mut tar.into_inner(), &mut io::sink()).map_err(broken_tar(archive))?;
    Ok(())
}

/// The one top folder every member of a zip sits under (macOS metadata aside), if
/// there is one.
fn zip_top_folder<R: io::Read + io::Seek>(zip: &mut zip::ZipArchive<R>) -> Option<String> {
    let clips: Vec<String> = (0..zip.len())
        .map(|i| {
            zip.name_for_index(i)
                .and_then(|n| n.ok())
                .map(|n| n.to_string())
                .unwrap_or_default()
        })
        .filter(|n| !is_macos_metadata(n))
        .collect();
    single_top_folder(&clips)
}

fn zip_member_kind<R: io::Read + ?Sized>(member: &zip::read::ZipFile<'_, R>) -> Member {
    if member.is_symlink() {
        Member::Other("a symbolic link")
    } else if member.is_dir() {
        Member::Dir
    } else if member.is_file() {
        Member::File
    } else {
        Member::Other("not a regular file")
    }
}

/// Extracts a `.zip` (stored or deflated members) into `dest`. When every member sits
/// under one top folder, that folder is stripped when `strip_single_top` is set.
pub fn extract_zip(
    archive: &Path,
    dest: &Path,
    strip_single_top: bool,
) -> Result<ExtractReport, Error> {
    let file = File::open(archive)?;
    let broken = |e: zip::result::ZipError| {
        Error::bad_archive(format!(
            "{}: not a readable zip archive ({e})",
            archive.display()
        ))
    };
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file)).map_err(broken)?;
    if zip.len() > MAX_MEMBERS {
        return Err(too_many(archive));
    }
    let needed = (0..zip.len())
        .filter_map(|i| zip.by_index_raw(i).ok().map(|m| m.size()))
        .fold(0u64, u64::saturating_add);
    ensure_free_space(dest, needed, &format!("extracting {}", archive.display()))?;
    let top = if strip_single_top {
        zip_top_folder(&mut zip)
    } else {
        None
    };
    let mut unpacked = Unpacked::default();
    for i in 0..zip.len() {
        let mut member = match zip.by_index(i) {
            Ok(member) => member,
            Err(e) => {
                unpacked.discard(dest);
                return Err(broken(e));
            }
        };
        let raw = member
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| String::from_utf8_lossy(member.name_raw()).into_owned());
        if is_macos_metadata(&raw) {
            continue;
        }
        let name = match &top {
            Some(top) => raw.strip_prefix(top.as_str()).unwrap_or(&raw).to_string(),
            None => raw.clone(),
        };
        // The stripped top folder's own entry (`KoNViD_1k_videos/`) names nothing.
        if let Some(top) = &top
            && (name.is_empty() || format!("{raw}/") == *top)
        {
            continue;
        }
        let kind = zip_member_kind(&member);
        if member.enclosed_name().is_none() {
            unpacked
                .refused
                .push(format!("{raw}: a path that leaves the extraction folder"));
            continue;
        }
        let size = member.size();
        if let Err(e) = write_member(dest, &name, kind, size, &mut member, &mut unpacked) {
            drop(member);
            unpacked.discard(dest);
            return Err(in_archive(archive, e));
        }
    }
    unpacked.place(dest)
}

/// What macOS's Finder adds to a zip it makes: the `__MACOSX/` folder of resource forks
/// and `._name` AppleDouble files beside the clips. Neither is a clip.
fn is_macos_metadata(name: &str) -> bool {
    name.split('/')
        .any(|part| part == "__MACOSX" || part.starts_with("._"))
}

fn single_top_folder(names: &[String]) -> Option<String> {
    let first = names.first()?.split('/').next()?.to_string();
    let all_under = names
        .iter()
        .all(|n| n.starts_with(&format!("{first}/")) || *n == first || *n == format!("{first}/"));
    (all_under && !first.is_empty()).then(|| format!("{first}/"))
}

fn too_many(archive: &Path) -> Error {
    Error::bad_archive(format!(
        "{}: more than {MAX_MEMBERS} members; refused (a corpus folder archive holds a few thousand clips)",
        archive.display()
    ))
}

fn in_archive(archive: &Path, e: Error) -> Error {
    match e {
        Error::BadArchive { message } => Error::BadArchive {
            message: format!("{}: {message}", archive.display()),
        },
        other => other,
    }
}

fn write_member(
    dest: &Path,
    name: &str,
    kind: Member,
    size: u64,
    data: &mut dyn Read,
    report: &mut Unpacked,
) -> Result<(), Error> {
    let refuse = |report: &mut Unpacked, why: &str| {
        tracing::warn!("archive member {name:?} refused: {why}");
        report.refused.push(format!("{name}: {why}"));
    };
    if let Member::Other(why) = kind {
        refuse(report, why);
        return Ok(());
    }
    let key = match clip_key(name, &NameRule::Whole) {
        Ok(key) => key,
        Err(e) => {
            refuse(report, &e.to_string());
            return Ok(());
        }
    };
    if passes_through_symlink(dest, &key) {
        refuse(report, "its path passes through a symbolic link");
        return Ok(());
    }
    let target = dest.join(&key);
    if let Member::Dir = kind {
        return Ok(fs::create_dir_all(&target)?);
    }
    if key.ends_with(".extracting") || key.ends_with(".part") {
        refuse(report, "a name this tool uses for its own temporary files");
        return Ok(());
    }
    let parent = target.parent().unwrap_or(dest);
    fs::create_dir_all(parent)?;
    ensure_free_space(parent, size, &format!("extracting {key}"))?;
    let temp = temp_of(&target);
    let mut out = HashingWriter {
        inner: io::BufWriter::with_capacity(1 << 20, File::create(&temp)?),
        hasher: Sha256::new(),
    };
    let written = match io::copy(&mut data.take(size.saturating_add(1)), &mut out) {
        Ok(written) => written,
        Err(e) => {
            drop(out);
            let _ = fs::remove_file(&temp);
            return Err(Error::bad_archive(format!(
                "member {name:?} is unreadable ({e})"
            )));
        }
    };
    if written != size {
        drop(out);
        let _ = fs::remove_file(&temp);
        return Err(Error::bad_archive(format!(
            "member {name:?} is truncated ({written} of {size} bytes)"
        )));
    }
    out.inner.flush()?;
    let HashingWriter { inner, hasher } = out;
    drop(inner);
    report.add(Pending {
        key,
        size,
        sha256: Digest::of(hasher),
    });
    Ok(())
}

/// Writes through to a file and hashes what it writes.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Whether any existing component of `dest/key` (below `dest`) is a symlink.
fn passes_through_symlink(dest: &Path, key: &str) -> bool {
    let mut path = PathBuf::from(dest);
    for component in Path::new(key).components() {
        if let Component::Normal(part) = component {
            path.push(part);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn a_reader_message_quoting_binary_bytes_is_shown_as_text() {
        let message =
            "numeric field did not have utf-8 text: \u{fffd}J\u{7}\n\u{1b}[31m for <html>";
        assert_eq!(
            printable(message),
            "numeric field did not have utf-8 text: ?J???[31m for <html>"
        );
        let long = "x".repeat(500);
        assert_eq!(printable(&long).chars().count(), 161);
    }
}
