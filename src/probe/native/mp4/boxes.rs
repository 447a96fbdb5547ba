//! The ISO-BMFF boxes the prober reads, each a struct with named fields parsed from its
//! payload through a bounds-checked big-endian [`Cursor`] (mp4parse's shape): a field
//! past the end of its box makes that box unreadable (`None`), never a panic or a slice
//! out of range. Offsets follow ISO/IEC 14496-12; only the fields the prober needs are
//! kept, the rest are skipped by name.

use crate::probe::rules::rates::SampleRun;

/// A box type, `b"moov"`.
pub type FourCc = [u8; 4];

/// A big-endian reader over one box payload.
pub struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0 }
    }

    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.bytes(n).map(drop)
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.data.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.bytes(N)?.try_into().ok()
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_be_bytes)
    }

    pub fn fourcc(&mut self) -> Option<FourCc> {
        self.array()
    }

    /// What is left of the payload.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.at..).unwrap_or_default()
    }

    /// A full box's version and 24-bit flags.
    pub fn full_box_header(&mut self) -> Option<(u8, u32)> {
        let word = self.u32()?;
        let [version, ..] = word.to_be_bytes();
        Some((version, word & 0xff_ffff))
    }
}

/// The child boxes of a payload, as (type, payload); a box that overruns its parent, or
/// a header that does not fit, ends the walk.
pub struct Boxes<'a> {
    rest: Cursor<'a>,
}

pub fn boxes(payload: &[u8]) -> Boxes<'_> {
    Boxes {
        rest: Cursor::new(payload),
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = (FourCc, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let remaining = self.rest.rest().len() as u64;
        let mut header = Cursor::new(self.rest.rest());
        let size32 = header.u32()?;
        let kind = header.fourcc()?;
        let size = match size32 {
            0 => remaining,
            1 => header.u64()?,
            n => u64::from(n),
        };
        let header_len = header.at;
        if size < header_len as u64 || size > remaining {
            return None;
        }
        // header_len ≤ size ≤ remaining: the box is inside the payload.
        let whole = self.rest.bytes(usize::try_from(size).ok()?)?;
        Some((kind, whole.get(header_len..)?))
    }
}

/// The first child of type `kind`.
pub fn child<'a>(payload: &'a [u8], kind: &FourCc) -> Option<&'a [u8]> {
    boxes(payload).find(|(k, _)| k == kind).map(|(_, p)| p)
}

/// The first box down a path of types (`mdia/minf/stbl`).
pub fn path<'a>(payload: &'a [u8], kinds: &[&FourCc]) -> Option<&'a [u8]> {
    kinds.iter().try_fold(payload, |p, kind| child(p, kind))
}

/// `mvhd` and `mdhd`: a timescale and a duration in its ticks (64-bit in version 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaTimes {
    pub timescale: u32,
    pub duration: u64,
}

impl MediaTimes {
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(payload);
        let (version, _) = c.full_box_header()?;
        if version == 1 {
            c.skip(16)?; // creation_time, modification_time
            Some(Self {
                timescale: c.u32()?,
                duration: c.u64()?,
            })
        } else {
            c.skip(8)?;
            Some(Self {
                timescale: c.u32()?,
                duration: u64::from(c.u32()?),
            })
        }
    }
}

/// `tkhd`: the track's ID (fragments name their track by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackHeader {
    pub track_id: u32,
}

impl TrackHeader {
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(payload);
        let (version, _) = c.full_box_header()?;
        c.skip(if version == 1 { 16 } else { 8 })?; // creation_time, modification_time
        Some(Self { track_id: c.u32()? })
    }
}

/// `hdlr`: what kind of track (`vide`, `soun` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerReference {
    pub handler_type: FourCc,
}

impl HandlerReference {
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(payload);
        c.full_box_header()?;
        c.skip(4)?; // pre_defined
        Some(Self {
            handler_type: c.fourcc()?,
        })
    }
}

/// `stts`: sample durations as runs. Entries past the box's end are dropped, so a
/// forged `entry_count` costs nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeToSample {
    pub runs: Vec<SampleRun>,
}

impl TimeToSample {
    pub fn parse(payload: &[u8]) -> Self {
        let mut c = Cursor::new(payload);
        let entry_count = c.full_box_header().and_then(|_| c.u32()).unwrap_or(0);
        let fits = payload.len() / 8;
        let runs = (0..usize::try_from(entry_count).unwrap_or(usize::MAX).min(fits))
            .map_while(|_| {
                Some(SampleRun {
                    count: u64::from(c.u32()?),
                    delta: c.u32()?,
                })
            })
            .collect();
        Self { runs }
    }
}

/// `stsz` (or the compact `stz2`): each sample's size in bytes. A table is never read
/// past the box's end, so a forged `sample_count` costs nothing: the sizes it does not
/// hold are `None` (and the box says the table is short).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSizes<'a> {
    /// Every sample's size, when the box gives one for all.
    pub uniform: Option<u32>,
    pub sample_count: u32,
    table: &'a [u8],
    field_bits: u8,
}

impl<'a> SampleSizes<'a> {
    pub fn parse_stsz(payload: &'a [u8]) -> Option<Self> {
        let mut c = Cursor::new(payload);
        c.full_box_header()?;
        let uniform = c.u32()?;
        let sample_count = c.u32()?;
        Some(Self {
            uniform: (uniform != 0).then_some(uniform),
            sample_count,
            table: c.rest(),
            field_bits: 32,
        })
    }

    pub fn parse_stz2(payload: &'a [u8]) -> Option<Self> {
        let mut c = Cursor::new(payload);
        c.full_box_header()?;
        c.skip(3)?;
        let field_bits = c.u8()?;
        if !matches!(field_bits, 4 | 8 | 16) {
            return None;
        }
        let sample_count = c.u32()?;
        Some(Self {
            uniform: None,
            sample_count,
            table: c.rest(),
            field_bits,
        })
    }

    /// Sample `i`'s size (0-based); `None` past the table.
    pub fn size(&self, i: u32) -> Option<u32> {
        if let Some(size) = self.uniform {
            return (i < self.sample_count).then_some(size);
        }
        let i = usize::try_from(i).ok()?;
        match self.field_bits {
            32 => {
                let at = i.checked_mul(4)?;
                let bytes = self.table.get(at..at + 4)?;
                Some(u32::from_be_bytes(bytes.try_into().ok()?))
            }
            16 => {
                let at = i.checked_mul(2)?;
                let bytes = self.table.get(at..at + 2)?;
                Some(u32::from(u16::from_be_bytes(bytes.try_into().ok()?)))
            }
            8 => self.table.get(i).map(|b| u32::from(*b)),
            _ => {
                let byte = self.table.get(i / 2)?;
                Some(u32::from(if i % 2 == 0 { byte >> 4 } else { byte & 0x0f }))
            }
        }
    }
}

/// `stsc`: runs of chunks with the same number of samples, as (first chunk, 1-based;
/// samples per chunk). Entries past the box's end are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleToChunk {
    pub runs: Vec<(u32, u32)>,
}

impl SampleToChunk {
    pub fn parse(payload: &[u8]) -> Self {
        let mut c = Cursor::new(payload);
        let entry_count = c.full_box_header().and_then(|_| c.u32()).unwrap_or(0);
        let fits = payload.len() / 12;
        let runs = (0..usize::try_from(entry_count).unwrap_or(usize::MAX).min(fits))
            .map_while(|_| {
                let first_chunk = c.u32()?;
                let samples_per_chunk = c.u32()?;
                c.skip(4)?; // sample_description_index
                Some((first_chunk, samples_per_chunk))
            })
            .collect();
        Self { runs }
    }
}

/// `stco` / `co64`: each chunk's byte offset in the file, as stored (read on demand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOffsets<'a> {
    pub entry_count: u32,
    table: &'a [u8],
    wide: bool,
}

impl<'a> ChunkOffsets<'a> {
    pub fn parse(payload: &'a [u8], wide: bool) -> Option<Self> {
        let mut c = Cursor::new(payload);
        c.full_box_header()?;
        let entry_count = c.u32()?;
        Some(Self {
            entry_count,
            table: c.rest(),
            wide,
        })
    }

    /// Chunk `i`'s offset (0-based); `None` past the table.
    pub fn offset(&self, i: u32) -> Option<u64> {
        if i >= self.entry_count {
            return None;
        }
        let i = usize::try_from(i).ok()?;
        if self.wide {
            let at = i.checked_mul(8)?;
            Some(u64::from_be_bytes(
                self.table.get(at..at + 8)?.try_into().ok()?,
            ))
        } else {
            let at = i.checked_mul(4)?;
            Some(u64::from(u32::from_be_bytes(
                self.table.get(at..at + 4)?.try_into().ok()?,
            )))
        }
    }
}

/// `trex` (in `mvex`): a fragmented track's default sample duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackExtends {
    pub track_id: u32,
    pub default_sample_duration: u32,
    pub default_sample_size: u32,
}

impl TrackExtends {
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(payload);
        c.full_box_header()?;
        let track_id = c.u32()?;
        c.skip(4)?; // default_sample_description_index
        let default_sample_duration = c.u32()?;
        Some(Self {
            track_id,
            default_sample_duration,
            default_sample_size: c.u32().unwrap_or(0),
        })
    }
}

/// `tfhd` (in `traf`): which track a fragment holds and its default sample duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackFragmentHeader {
    pub track_id: u32,
    /// Where the fragment's data offsets count from, when the box says.
    pub base_data_offset: Option<u64>,
    pub default_sample_duration: Option<u32>,
    pub default_sample_size: Option<u32>,
}

impl TrackFragmentHeader {
    const BASE_DATA_OFFSET: u32 = 0x01;
    const SAMPLE_DESCRIPTION_INDEX: u32 = 0x02;
    const DEFAULT_SAMPLE_DURATION: u32 = 0x08;
    const DEFAULT_SAMPLE_SIZE: u32 = 0x10;

    pub fn parse(payload: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(payload);
        let (_, flags) = c.full_box_header()?;
        let track_id = c.u32()?;
        let base_data_offset = if flags & Self::BASE_DATA_OFFSET != 0 {
            Some(c.u64()?)
        } else {
            None
        };
        if flags & Self::SAMPLE_DESCRIPTION_INDEX != 0 {
            c.skip(4)?;
        }
        let default_sample_duration = if flags & Self::DEFAULT_SAMPLE_DURATION != 0 {
            Some(c.u32()?)
        } else {
            None
        };
        let default_sample_size = if flags & Self::DEFAULT_SAMPLE_SIZE != 0 {
            Some(c.u32()?)
        } else {
            None
        };
        Some(Self {
            track_id,
            base_data_offset,
            default_sample_duration,
            default_sample_size,
        })
    }
}

/// `trun` (in `traf`): a run of samples, with per-sample durations or the default's.
#[derive(Debug, Clone, Copy)]
pub struct TrackRun<'a> {
    pub sample_count: u32,
    /// Where the run's data starts, from the fragment's base offset.
    pub data_offset: Option<i32>,
    /// The per-sample records and their size, when each carries its duration first.
    per_sample_durations: Option<(&'a [u8], usize)>,
    /// The per-sample records, their size, and where in each the sample size is.
    per_sample_sizes: Option<(&'a [u8], usize, usize)>,
}

impl<'a> TrackRun<'a> {
    const DATA_OFFSET: u32 = 0x01;
    const FIRST_SAMPLE_FLAGS: u32 = 0x04;
    const SAMPLE_DURATION: u32 = 0x100;
    const SAMPLE_SIZE: u32 = 0x200;
    const PER_SAMPLE_FIELDS: [u32; 4] = [0x100, 0x200, 0x400, 0x800];

    /// `None` when the box is too short for its header or its claimed samples.
    pub fn parse(payload: &'a [u8]) -> Option<Self> {
        let mut c = Cursor::new(payload);
        let (_, flags) = c.full_box_header()?;
        let sample_count = c.u32()?;
        let record_size = Self::PER_SAMPLE_FIELDS
            .iter()
            .filter(|field| flags & **field != 0)
            .count()
            * 4;
        let count = usize::try_from(sample_count).unwrap_or(usize::MAX);
        if record_size > 0 && count > payload.len() / record_size {
            return None;
        }
        let data_offset = if flags & Self::DATA_OFFSET != 0 {
            Some(c.u32()? as i32)
        } else {
            None
        };
        if flags & Self::FIRST_SAMPLE_FLAGS != 0 {
            c.skip(4)?;
        }
        let size_at = if flags & Self::SAMPLE_DURATION != 0 {
            4
        } else {
            0
        };
        Some(Self {
            sample_count,
            data_offset,
            per_sample_durations: (flags & Self::SAMPLE_DURATION != 0)
                .then(|| (c.rest(), record_size)),
            per_sample_sizes: (flags & Self::SAMPLE_SIZE != 0)
                .then(|| (c.rest(), record_size, size_at)),
        })
    }

    /// Whether each sample carries its own size.
    pub fn has_per_sample_sizes(&self) -> bool {
        self.per_sample_sizes.is_some()
    }

    /// Every sample's size (`default` where the run gives none); a record cut short by
    /// the box's end gives `None` for that sample.
    pub fn sizes(self, default: u32) -> impl Iterator<Item = Option<u32>> + 'a {
        let count = self.sample_count;
        let sizes = self.per_sample_sizes;
        (0..count).map(move |i| match sizes {
            None => Some(default),
            Some((records, size, at)) => {
                let start = usize::try_from(i)
                    .ok()?
                    .checked_mul(size)?
                    .checked_add(at)?;
                Cursor::new(records.get(start..)?).u32()
            }
        })
    }

    /// Every sample's duration as runs (`default` where the run gives none).
    pub fn durations(self, default: u32) -> impl Iterator<Item = SampleRun> + 'a {
        let uniform = self.per_sample_durations.is_none().then_some(SampleRun {
            count: u64::from(self.sample_count),
            delta: default,
        });
        let (records, size) = self.per_sample_durations.unwrap_or((&[], 4));
        let each = (0..self.per_sample_durations.map_or(0, |_| self.sample_count)).map(move |i| {
            let at = usize::try_from(i)
                .unwrap_or(usize::MAX)
                .saturating_mul(size);
            let delta = Cursor::new(records.get(at..).unwrap_or_default())
                .u32()
                .unwrap_or(default);
            SampleRun { count: 1, delta }
        });
        uniform.into_iter().chain(each)
    }
}

/// The first sample entry of an `stsd`: its format, its own picture size, and the
/// boxes after the visual sample entry's fixed fields (`avcC`, `esds` …).
#[derive(Debug, Clone, Copy)]
pub struct VisualSampleEntry<'a> {
    pub format: FourCc,
    pub width: u16,
    pub height: u16,
    pub extensions: &'a [u8],
}

impl<'a> VisualSampleEntry<'a> {
    /// SampleEntry (8) + pre_defined, reserved, pre_defined[3] (16).
    const SIZE_AT: usize = 24;
    /// … + width, height, resolutions, reserved, frame_count, compressorname, depth,
    /// pre_defined (54).
    const EXTENSIONS_AT: usize = 78;

    /// The first entry of an `stsd` payload; `Err` says what is missing.
    pub fn first_of(stsd: &'a [u8]) -> Result<Self, &'static str> {
        let mut c = Cursor::new(stsd);
        c.skip(8).ok_or("empty stsd")?; // full box header, entry_count
        let (format, entry) = boxes(c.rest()).next().ok_or("no sample entry")?;
        let mut fields = Cursor::new(entry.get(Self::SIZE_AT..).unwrap_or_default());
        Ok(Self {
            format,
            width: fields.u16().unwrap_or(0),
            height: fields.u16().unwrap_or(0),
            extensions: entry.get(Self::EXTENSIONS_AT..).unwrap_or_default(),
        })
    }
}

/// `esds`: the DecoderConfigDescriptor's objectTypeIndication (0x20: MPEG-4 Visual).
pub fn esds_object_type(payload: &[u8]) -> Option<u8> {
    const ES_DESCRIPTOR: u8 = 0x03;
    const DECODER_CONFIG_DESCRIPTOR: u8 = 0x04;
    let mut c = Cursor::new(payload);
    c.full_box_header()?;
    let descriptor_tag = |c: &mut Cursor| -> Option<u8> {
        let tag = c.u8()?;
        for _ in 0..4 {
            if c.u8()? & 0x80 == 0 {
                break; // the last byte of the expandable length
            }
        }
        Some(tag)
    };
    if descriptor_tag(&mut c)? != ES_DESCRIPTOR {
        return None;
    }
    c.skip(2)?; // ES_ID
    let flags = c.u8()?;
    if flags & 0x80 != 0 {
        c.skip(2)?; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        let url_len = c.u8()?;
        c.skip(usize::from(url_len))?;
    }
    if flags & 0x20 != 0 {
        c.skip(2)?; // OCR_ES_ID
    }
    if descriptor_tag(&mut c)? != DECODER_CONFIG_DESCRIPTOR {
        return None;
    }
    c.u8()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(payload.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn walks_children_and_stops_at_an_overrun() {
        let mut data = boxed(b"free", &[1, 2]);
        data.extend(boxed(b"mdia", &boxed(b"mdhd", &[9])));
        data.extend_from_slice(&[0, 0, 0, 99, b'b', b'a', b'd', b'!']);
        let kinds: Vec<FourCc> = boxes(&data).map(|(k, _)| k).collect();
        assert_eq!(kinds, [*b"free", *b"mdia"]);
        assert_eq!(path(&data, &[b"mdia", b"mdhd"]), Some(&[9u8][..]));
        assert_eq!(child(&data, b"moov"), None);
    }

    #[test]
    fn media_times_in_both_versions() {
        let mut v0 = vec![0, 0, 0, 0];
        v0.extend([0u8; 8]);
        v0.extend(30000u32.to_be_bytes());
        v0.extend(1001u32.to_be_bytes());
        assert_eq!(
            MediaTimes::parse(&v0),
            Some(MediaTimes {
                timescale: 30000,
                duration: 1001
            })
        );
        let mut v1 = vec![1, 0, 0, 0];
        v1.extend([0u8; 16]);
        v1.extend(90000u32.to_be_bytes());
        v1.extend((u64::from(u32::MAX) + 1).to_be_bytes());
        assert_eq!(MediaTimes::parse(&v1).unwrap().duration, 1 << 32);
        assert_eq!(
            MediaTimes::parse(&v1[..30]),
            None,
            "cut inside the duration"
        );
    }

    #[test]
    fn stts_ignores_entries_claimed_past_its_end() {
        let mut p = vec![0, 0, 0, 0];
        p.extend(1_000_000u32.to_be_bytes()); // entry_count far beyond the payload
        p.extend(10u32.to_be_bytes());
        p.extend(512u32.to_be_bytes());
        let stts = TimeToSample::parse(&p);
        assert_eq!(
            stts.runs,
            [SampleRun {
                count: 10,
                delta: 512
            }]
        );
    }

    #[test]
    fn trun_durations_per_sample_or_default() {
        // flags: data offset + sample duration + sample size; 2 samples.
        let mut p = vec![0, 0, 0x03, 0x01];
        p.extend(2u32.to_be_bytes());
        p.extend(0u32.to_be_bytes()); // data_offset
        for (duration, size) in [(1000u32, 50u32), (1001, 60)] {
            p.extend(duration.to_be_bytes());
            p.extend(size.to_be_bytes());
        }
        let run = TrackRun::parse(&p).unwrap();
        let deltas: Vec<u32> = run.durations(7).map(|r| r.delta).collect();
        assert_eq!(deltas, [1000, 1001]);
        let sizes: Vec<Option<u32>> = run.sizes(9).collect();
        assert_eq!(sizes, [Some(50), Some(60)], "the size after each duration");
        // No per-sample duration: one run of the default.
        let mut q = vec![0, 0, 0, 0];
        q.extend(5u32.to_be_bytes());
        let runs: Vec<SampleRun> = TrackRun::parse(&q).unwrap().durations(7).collect();
        assert_eq!(runs, [SampleRun { count: 5, delta: 7 }]);
        // More samples claimed than the box holds: unreadable.
        p[4..8].copy_from_slice(&1000u32.to_be_bytes());
        assert!(TrackRun::parse(&p).is_none());
    }

    #[test]
    fn tfhd_default_duration_follows_its_flags() {
        let mut p = vec![0, 0, 0, 0x19]; // base data offset, default duration and size
        p.extend(3u32.to_be_bytes());
        p.extend(4096u64.to_be_bytes());
        p.extend(512u32.to_be_bytes());
        p.extend(77u32.to_be_bytes());
        assert_eq!(
            TrackFragmentHeader::parse(&p),
            Some(TrackFragmentHeader {
                track_id: 3,
                base_data_offset: Some(4096),
                default_sample_duration: Some(512),
                default_sample_size: Some(77),
            })
        );
        p[3] = 0x01;
        assert_eq!(
            TrackFragmentHeader::parse(&p)
                .unwrap()
                .default_sample_duration,
            None
        );
    }

    #[test]
    fn esds_gives_the_object_type() {
        // ES_Descriptor (no flags) holding a DecoderConfigDescriptor of type 0x20.
        let p = [
            0, 0, 0, 0, 0x03, 0x80, 0x80, 0x80, 0x10, 0, 1, 0, 0x04, 0x0d, 0x20,
        ];
        assert_eq!(esds_object_type(&p), Some(0x20));
        assert_eq!(esds_object_type(&p[..14]), None);
    }
}
