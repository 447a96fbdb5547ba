//! The registry: one declarative entry per corpus (facts checked against the files as
//! they circulate; see the README's per-corpus sections).

use super::spelling::Naming;
use super::spelling::{Aliases, ExtraColumn, ExtraKind};
use super::{
    ArchiveLayout, ClipSource, CorpusId, CorpusInfo, DoverList, DoverPath, MatScores, RowGroup,
    Scale, ScorePartSpec, SimpleVqaLabels,
};

/// The entry of a corpus.
pub const fn entry(id: CorpusId) -> &'static CorpusInfo {
    match id {
        CorpusId::Lsvq => &LSVQ,
        CorpusId::Konvid150k => &KONVID_150K,
        CorpusId::Konvid1k => &KONVID_1K,
        CorpusId::LiveVqc => &LIVE_VQC,
        CorpusId::YoutubeUgc => &YOUTUBE_UGC,
        CorpusId::WaterlooIvc4k => &WATERLOO_IVC_4K,
        CorpusId::Chug => &CHUG,
        CorpusId::LiveYtGaming => &LIVE_YT_GAMING,
    }
}

/// Name, URL, std-dev, count and split spellings of the older adapters' `manifest.csv`.
const GENERIC_NAME: &[&str] = &["name", "video_name", "filename", "file_name"];
const GENERIC_URL: &[&str] = &["url", "download_url", "video_url"];
const GENERIC_MOS: &[&str] = &["mos", "mos_score"];
const GENERIC_STD_DEV: &[&str] = &["sd", "mos_std", "mos_std_dev", "sd_mos"];
const GENERIC_N: &[&str] = &["n", "ratings", "num_ratings", "n_ratings"];

const GENERIC_COLUMNS: Aliases = Aliases {
    name: GENERIC_NAME,
    url: GENERIC_URL,
    mos: GENERIC_MOS,
    std_dev: GENERIC_STD_DEV,
    n_ratings: GENERIC_N,
    is_test: &["is_test"],
    extras: &[],
};

pub const LSVQ: CorpusInfo = CorpusInfo {
    id: CorpusId::Lsvq,
    label: "lsvq",
    title: "LSVQ (Patch-VQ)",
    version: "lsvq-2021",
    size: "~39 K clips (38,811 in the paper): 28,056 train, 7,186 test, 3,573 test-1080p (DOVER lists)",
    default_dir: ".workingdir2/lsvq",
    clips_subdir: "clips",
    output_file: "lsvq.jsonl",
    min_csv_rows: 1000,
    default_max_rows: Some(500),
    label_file_candidates: &[
        "manifest.csv",
        "labels_train_test.csv",
        "LSVQ_whole_train.csv",
        "train_labels.txt",
    ],
    label_files: &[
        "labels_train_test.csv, labels_test_1080p.csv (official Patch-VQ)",
        "LSVQ_whole_train.csv, LSVQ_whole_test.csv (SimpleVQA)",
        "train_labels.txt, labels_test.txt, labels_1080p.txt (DOVER/FAST-VQA)",
        "manifest.csv (older adapters: name, url, mos)",
    ],
    columns: GENERIC_COLUMNS,
    naming: Naming::ByShape,
    key_aliases: &[],
    score_parts: &[],
    clips: ClipSource::Archives {
        layout: ArchiveLayout::TarPerTopFolder,
        hub_repo: Some("teowu/LSVQ-videos"),
    },
    scale: Scale::slider(
        "lsvq",
        "Ying et al., Patch-VQ, CVPR 2021 (continuous 0-100 slider)",
    ),
    content_key: None,
    row_group: None,
    dover_list: DoverList {
        path: DoverPath::Key,
        timing: false,
    },
    simplevqa: SimpleVqaLabels::LsvqCsv,
    extra_keys: &[],
    source_hint: "LSVQ labels come from the Patch-VQ release (github.com/baidut/PatchVQ: \
        labels_train_test.csv, labels_test_1080p.csv) or the DOVER/FAST-VQA lists \
        (train_labels.txt, labels_test.txt); the clips from the Hugging Face mirror \
        teowu/LSVQ-videos (one <folder>.tar.gz per clip folder, extracted under the clips folder)",
    citation: "Z. Ying, M. Mandal, D. Ghadiyaram, A. C. Bovik, \"Patch-VQ: 'Patching Up' \
        the Video Quality Problem\", CVPR 2021",
    licence_note: "the Hugging Face copy calls itself unofficial and its card disagrees \
        with itself on the licence: follow the original LSVQ terms; keep clips and MOS local",
};

pub const KONVID_150K: CorpusInfo = CorpusInfo {
    id: CorpusId::Konvid150k,
    label: "konvid-150k",
    title: "KonViD-150k",
    version: "konvid-150k-2019",
    size: "part A 153,841 clips (5 ratings each), part B 1,596 (at least 89 ratings each)",
    default_dir: ".workingdir2/konvid-150k",
    clips_subdir: "clips",
    output_file: "konvid_150k.jsonl",
    min_csv_rows: 5000,
    default_max_rows: None,
    label_file_candidates: &["manifest.csv"],
    label_files: &[
        "k150ka_scores.csv, k150kb_scores.csv beside k150ka_extracted/, k150kb_extracted/",
        "manifest.csv (older adapters: name, url, mos)",
    ],
    columns: Aliases {
        url: &["url", "download_url", "video_url", "flickr_url"],
        mos: &["mos", "mos_score", "video_score"],
        ..GENERIC_COLUMNS
    },
    naming: Naming::ByShape,
    key_aliases: &[],
    score_parts: &[
        ScorePartSpec {
            scores: "k150ka_scores.csv",
            clips_folder: "k150ka_extracted",
        },
        ScorePartSpec {
            scores: "k150kb_scores.csv",
            clips_folder: "k150kb_extracted",
        },
    ],
    clips: ClipSource::Archives {
        layout: ArchiveLayout::ZipPerExtractedFolder,
        hub_repo: None,
    },
    scale: Scale::acr5(
        "konvid-150k",
        "Götz-Hahn et al., IEEE Access 2021 (5-point ACR)",
    ),
    content_key: None,
    row_group: None,
    dover_list: DoverList {
        path: DoverPath::Key,
        timing: false,
    },
    simplevqa: SimpleVqaLabels::NameMos,
    extra_keys: &[],
    source_hint: "KonViD-150k comes from the KonIQ/KonViD site of the University of Konstanz \
        (database.mmsp-kn.de): k150ka.zip, k150kb.zip and k150ka_scores.csv / \
        k150kb_scores.csv; extract the zips to k150ka_extracted/ and k150kb_extracted/ \
        beside the score files, or give a manifest.csv with name, url and mos columns",
    citation: "F. Götz-Hahn, V. Hosu, H. Lin, D. Saupe, \"KonVid-150k: A Dataset for \
        No-Reference Video Quality Assessment of Videos in-the-Wild\", IEEE Access 2021",
    licence_note: "research use under the KonViD-150k terms; keep clips and MOS local",
};

pub const KONVID_1K: CorpusInfo = CorpusInfo {
    id: CorpusId::Konvid1k,
    label: "konvid-1k",
    title: "KoNViD-1k",
    version: "konvid-1k-2017",
    size: "1,200 Flickr clips, 960x540, 8 s",
    default_dir: ".workingdir2/konvid-1k",
    clips_subdir: "KoNViD_1k_videos",
    output_file: "konvid_1k.jsonl",
    min_csv_rows: 1000,
    default_max_rows: None,
    label_file_candidates: &[
        "KoNViD_1k_attributes.csv",
        "KoNViD_1k_mos.csv",
        "KONVID_1K_metadata.csv",
        "labels.txt",
        "manifest.csv",
    ],
    label_files: &[
        "KoNViD_1k_attributes.csv, KoNViD_1k_mos.csv (official, KoNViD_1k_metadata.zip)",
        "KONVID_1K_metadata.csv (VIDEVAL)",
        "labels.txt (DOVER/FAST-VQA)",
        "a SimpleVQA .mat (video_names, scores)",
    ],
    columns: Aliases {
        name: &[
            "flickr_id",
            "file_name",
            "video_names",
            "name",
            "video_name",
            "filename",
        ],
        mos: &["mos", "scores", "mos_score"],
        ..GENERIC_COLUMNS
    },
    naming: Naming::FlickrId,
    key_aliases: &[],
    score_parts: &[],
    clips: ClipSource::Archives {
        layout: ArchiveLayout::OneZip {
            file: "KoNViD_1k_videos.zip",
        },
        hub_repo: None,
    },
    scale: Scale::acr5("konvid-1k", "Hosu et al., QoMEX 2017 (5-point ACR)"),
    content_key: None,
    row_group: None,
    dover_list: DoverList {
        path: DoverPath::UnderClipsFolder,
        timing: true,
    },
    simplevqa: SimpleVqaLabels::Mat {
        scores: MatScores::Column,
    },
    extra_keys: &[],
    source_hint: "KoNViD-1k comes from the Konstanz site (datasets.vqa.mmsp-kn.de/archives/): \
        KoNViD_1k_videos.zip (~2.3 GB; take it with --archives-dir or --from-url URL; its TLS \
        certificate has been seen expired) and KoNViD_1k_metadata.zip (KoNViD_1k_attributes.csv)",
    citation: "V. Hosu et al., \"The Konstanz natural video database (KoNViD-1k)\", QoMEX 2017",
    licence_note: "not stated upstream: research use, keep clips and MOS local",
};

pub const LIVE_VQC: CorpusInfo = CorpusInfo {
    id: CorpusId::LiveVqc,
    label: "live-vqc",
    title: "LIVE-VQC",
    version: "live-vqc-2018",
    size: "585 clips from 80 mobile devices, ~240 ratings each",
    default_dir: ".workingdir2/live-vqc",
    clips_subdir: "Video",
    output_file: "live_vqc.jsonl",
    min_csv_rows: 500,
    default_max_rows: None,
    label_file_candidates: &[
        "data.mat",
        "LIVE_VQC_metadata.csv",
        "labels.txt",
        "manifest.csv",
    ],
    label_files: &[
        "data.mat (official: video_list, mos)",
        "LIVE_VQC_metadata.csv (VIDEVAL)",
        "labels.txt (DOVER/FAST-VQA)",
    ],
    columns: Aliases {
        name: &[
            "file",
            "video_list",
            "name",
            "video_name",
            "filename",
            "file_name",
        ],
        ..GENERIC_COLUMNS
    },
    naming: Naming::BaseName,
    key_aliases: &[
        ("A012.mp4", "A012NEW.mp4"),
        ("A036.mp4", "A036NEW.mp4"),
        ("A046.mp4", "A046NEW.mp4"),
        ("A080.mp4", "A080NEW.mp4"),
        ("B054.mp4", "B054NEW.mp4"),
        ("B115.mp4", "B115NEW.mp4"),
        ("B139.mp4", "B139NEW.mp4"),
        ("B248.mp4", "B248NEW.mp4"),
        ("B263.mp4", "B263NEW.mp4"),
    ],
    score_parts: &[],
    clips: ClipSource::Local,
    scale: Scale::slider(
        "live-vqc",
        "Sinno & Bovik, IEEE TIP 2019 (continuous 0-100 slider)",
    ),
    content_key: None,
    row_group: None,
    dover_list: DoverList {
        path: DoverPath::UnderClipsFolder,
        timing: true,
    },
    simplevqa: SimpleVqaLabels::NameMos,
    extra_keys: &[],
    source_hint: "LIVE-VQC comes from the LIVE site of the University of Texas at Austin: \
        Video/<name>.mp4 and data.mat (or VIDEVAL's LIVE_VQC_metadata.csv)",
    citation: "Z. Sinno, A. C. Bovik, \"Large-Scale Study of Perceptual Video Quality\", \
        IEEE TIP 2019",
    licence_note: "LIVE's research terms: keep clips and MOS local",
};

pub const YOUTUBE_UGC: CorpusInfo = CorpusInfo {
    id: CorpusId::YoutubeUgc,
    label: "youtube-ugc",
    title: "YouTube-UGC",
    version: "youtube-ugc-2019",
    size: "~1,500 clips of ~20 s; 1,380 (VIDEVAL) / 1,147 (DOVER) / 1,142 (SimpleVQA) still rated",
    default_dir: ".workingdir2/youtube-ugc",
    clips_subdir: ".",
    output_file: "youtube_ugc.jsonl",
    min_csv_rows: 1000,
    default_max_rows: Some(500),
    label_file_candidates: &[
        "MOS_for_YouTube_UGC_dataset.xlsx",
        "YOUTUBE_UGC_metadata.csv",
        "labels.txt",
        "manifest.csv",
    ],
    label_files: &[
        "MOS_for_YouTube_UGC_dataset.xlsx (official; DMOS_for_… is refused)",
        "YOUTUBE_UGC_metadata.csv (VIDEVAL: MOSFull, stdFull, x_Subjects)",
        "labels.txt (DOVER/FAST-VQA)",
        "youtube_ugc_data.mat (SimpleVQA: video_names, scores)",
    ],
    columns: Aliases {
        name: &[
            "vid",
            "name",
            "video_name",
            "video_names",
            "filename",
            "file_name",
        ],
        mos: &["mosfull", "mos full", "mos", "scores", "mos_score"],
        std_dev: &["stdfull", "std full", "sd", "mos_std", "mos_std_dev"],
        n_ratings: &["x_subjects", "n_ratings", "num_ratings"],
        ..GENERIC_COLUMNS
    },
    naming: Naming::YoutubeUgc,
    key_aliases: &[],
    score_parts: &[],
    clips: ClipSource::Urls {
        base: "https://storage.googleapis.com/ugc-dataset",
        env: "MOSCORPUS_YOUTUBE_UGC_URL_BASE",
    },
    scale: Scale::acr5("youtube-ugc", "Wang et al., MMSP 2019 (5-point ACR)"),
    content_key: None,
    row_group: None,
    dover_list: DoverList {
        path: DoverPath::FileName,
        timing: false,
    },
    simplevqa: SimpleVqaLabels::Mat {
        scores: MatScores::Row,
    },
    extra_keys: &[],
    source_hint: "YouTube-UGC's labels are MOS_for_YouTube_UGC_dataset.xlsx (or VIDEVAL's \
        YOUTUBE_UGC_metadata.csv); clips come from the public bucket ugc-dataset \
        (original_videos_h264/ by default, original_videos/ with --variant raw)",
    citation: "Y. Wang, S. Inguva, B. Adsumilli, \"YouTube UGC Dataset for Video Compression \
        Research\", MMSP 2019",
    licence_note: "CC BY (the page links 4.0, the bucket's LICENSE is 3.0): attribution \
        travels with derived work",
};

pub const WATERLOO_IVC_4K: CorpusInfo = CorpusInfo {
    id: CorpusId::WaterlooIvc4k,
    label: "waterloo-ivc-4k",
    title: "Waterloo IVC 4K",
    version: "waterloo-ivc-4k-2019",
    size: "1,200 clips: 20 sources x 5 encoders x 3 resolutions x 4 levels",
    default_dir: ".workingdir2/waterloo-ivc-4k",
    clips_subdir: ".",
    output_file: "waterloo_ivc_4k.jsonl",
    min_csv_rows: 1000,
    default_max_rows: None,
    label_file_candidates: &["manifest.csv", "labels.csv"],
    label_files: &["a CSV: Encoder, Video Number, Resolution, Distortion Level, MOS, path"],
    columns: Aliases {
        name: &["path", "name", "video_name", "filename", "file_name"],
        ..GENERIC_COLUMNS
    },
    naming: Naming::WaterlooPath,
    key_aliases: &[],
    score_parts: &[],
    clips: ClipSource::Local,
    scale: Scale::slider(
        "waterloo-ivc-4k",
        "Li et al., ICIAR 2019 (0-100 subjective scores)",
    ),
    content_key: Some("Video Number"),
    row_group: Some(RowGroup::KeyPart(1)),
    dover_list: DoverList {
        path: DoverPath::Key,
        timing: false,
    },
    simplevqa: SimpleVqaLabels::NameMos,
    extra_keys: &[],
    source_hint: "Waterloo IVC 4K comes from the IVC lab of the University of Waterloo: \
        clips as <Encoder>/<NN>/<W>x<H>_<level>.mp4 and a CSV with Encoder, Video Number, \
        Resolution, Distortion Level, MOS and path columns (pass it with --manifest-csv)",
    citation: "Z. Li, Z. Duanmu, W. Liu, Z. Wang, \"AVC, HEVC, VP9, AVS2 or AV1? A \
        Comparative Study of State-of-the-Art Video Encoders on 4K Videos\", ICIAR 2019",
    licence_note: "the IVC lab's research terms: keep clips and MOS local",
};

pub const CHUG: CorpusInfo = CorpusInfo {
    id: CorpusId::Chug,
    label: "chug",
    title: "CHUG",
    version: "chug-2025",
    size: "5,992 clips: 856 HDR UGC sources x 7 bitrate-ladder rungs, ~35 ratings each",
    default_dir: ".workingdir2/chug",
    clips_subdir: "videos",
    output_file: "chug.jsonl",
    min_csv_rows: 5000,
    default_max_rows: Some(500),
    label_file_candidates: &["chug.csv", "CHUG.csv", "manifest.csv"],
    label_files: &["chug.csv: Video, mos_j, sos_j, ref, name, bitladder, …, content_name"],
    columns: Aliases {
        name: &["video", "name", "video_name", "filename", "file_name"],
        mos: &["mos_j", "mos"],
        // sos_j is a SUREAL dispersion (probably a standard error), not a rater SD.
        std_dev: &[],
        extras: &[
            ExtraColumn {
                column: "ref",
                key: "chug_ref",
                kind: ExtraKind::Int,
            },
            ExtraColumn {
                column: "content_name",
                key: "chug_content_name",
                kind: ExtraKind::Str,
            },
            ExtraColumn {
                column: "bitladder",
                key: "chug_bitladder",
                kind: ExtraKind::Str,
            },
            ExtraColumn {
                column: "orientation",
                key: "chug_orientation",
                kind: ExtraKind::Str,
            },
        ],
        ..GENERIC_COLUMNS
    },
    naming: Naming::HexId32,
    key_aliases: &[],
    score_parts: &[],
    clips: ClipSource::Urls {
        base: "https://ugchdrmturk.s3.us-east-2.amazonaws.com/videos",
        env: "MOSCORPUS_CHUG_URL_BASE",
    },
    scale: Scale::slider("chug", "Saini et al., ICIP 2025 (0-100, SUREAL mos_j)"),
    content_key: Some("content_name"),
    row_group: Some(RowGroup::ExtraKey("chug_content_name")),
    dover_list: DoverList {
        path: DoverPath::Key,
        timing: false,
    },
    simplevqa: SimpleVqaLabels::NameMos,
    extra_keys: &[
        (
            "chug_ref",
            "1 for the reference rung of a source's ladder, else 0 (label column ref)",
        ),
        (
            "chug_content_name",
            "the source content: every rung of one source shares it (content_name)",
        ),
        (
            "chug_bitladder",
            "the ladder rung, e.g. 720p_2M_ (bitladder)",
        ),
        ("chug_orientation", "Landscape or Portrait (orientation)"),
    ],
    source_hint: "CHUG's label CSV (Video, mos_j, sos_j, ref, …) comes with the dataset \
        release; each clip downloads from \
        https://ugchdrmturk.s3.us-east-2.amazonaws.com/videos/<Video>.mp4",
    citation: "S. Saini et al., \"CHUG: Crowdsourced User-Generated HDR Video Quality \
        Dataset\", ICIP 2025",
    licence_note: "CC BY-NC(-SA) 4.0 (the README and the licence file disagree on \
        share-alike): non-commercial use only",
};

pub const LIVE_YT_GAMING: CorpusInfo = CorpusInfo {
    id: CorpusId::LiveYtGaming,
    label: "live-yt-gaming",
    title: "LIVE-YT-Gaming",
    version: "live-yt-gaming-2022",
    size: "600 UGC gaming clips from 59 games, 18,600 ratings",
    default_dir: ".workingdir2/live-yt-gaming",
    clips_subdir: "clips",
    output_file: "live_yt_gaming.jsonl",
    min_csv_rows: 500,
    default_max_rows: None,
    label_file_candidates: &["data.mat", "manifest.csv"],
    label_files: &["a MAT file: video_list (names without extension), MOS"],
    columns: Aliases {
        name: &["video_list", "name", "video_name", "filename", "file_name"],
        ..GENERIC_COLUMNS
    },
    naming: Naming::BaseName,
    key_aliases: &[],
    score_parts: &[],
    clips: ClipSource::Local,
    scale: Scale::slider(
        "live-yt-gaming",
        "Yu et al., IEEE Trans. Games 2023 (continuous 0-100 slider)",
    ),
    content_key: None,
    row_group: None,
    dover_list: DoverList {
        path: DoverPath::Key,
        timing: false,
    },
    simplevqa: SimpleVqaLabels::NameMos,
    extra_keys: &[],
    source_hint: "LIVE-YT-Gaming comes from the LIVE site of the University of Texas at \
        Austin: the clips (<name>.mp4) and a MAT file with video_list and MOS",
    citation: "X. Yu et al., \"Subjective and Objective Analysis of Streamed Gaming \
        Videos\", IEEE Trans. Games 2023",
    licence_note: "distribution and licence unverified: LIVE's research terms, keep clips \
        and MOS local",
};
