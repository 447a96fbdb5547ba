//! What is per-corpus, as data: labels, default folders and files, sanity floors, MOS
//! scales, where the corpus comes from, and its citation. A new corpus is a new entry
//! here plus, at most, one new label shape under `manifest/`.

/// A corpus this tool ingests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorpusId {
    Lsvq,
    Konvid150k,
}

/// Everything the pipeline needs to know about one corpus (serialised for
/// `moscorpus.corpora()`).
#[derive(Debug, serde::Serialize)]
pub struct CorpusInfo {
    #[serde(skip)]
    pub id: CorpusId,
    /// The row's `corpus` value.
    pub label: &'static str,
    /// The default `corpus_version` value.
    pub version: &'static str,
    pub default_dir: &'static str,
    pub output_file: &'static str,
    /// A label file with fewer rows is refused: it is almost certainly the wrong file.
    pub min_csv_rows: usize,
    /// `--max-rows` when neither it nor `--full` is given (`None`: all rows).
    pub default_max_rows: Option<usize>,
    /// Label files looked for in the working folder, in order, when none is given.
    pub label_file_candidates: &'static [&'static str],
    /// Published MOS range on the corpus's native scale.
    pub mos_scale: (f64, f64),
    /// Where the labels and clips come from, shown when something is missing.
    pub source_hint: &'static str,
    pub citation: &'static str,
    pub licence_note: &'static str,
}

pub const LSVQ: CorpusInfo = CorpusInfo {
    id: CorpusId::Lsvq,
    label: "lsvq",
    version: "lsvq-2021",
    default_dir: ".workingdir2/lsvq",
    output_file: "lsvq.jsonl",
    min_csv_rows: 1000,
    default_max_rows: Some(500),
    label_file_candidates: &[
        "manifest.csv",
        "labels_train_test.csv",
        "LSVQ_whole_train.csv",
        "train_labels.txt",
    ],
    mos_scale: (0.0, 100.0),
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
    version: "konvid-150k-2019",
    default_dir: ".workingdir2/konvid-150k",
    output_file: "konvid_150k.jsonl",
    min_csv_rows: 5000,
    default_max_rows: None,
    label_file_candidates: &["manifest.csv"],
    mos_scale: (1.0, 5.0),
    source_hint: "KonViD-150k comes from the KonIQ/KonViD site of the University of Konstanz \
        (database.mmsp-kn.de): k150ka.zip, k150kb.zip and k150ka_scores.csv / \
        k150kb_scores.csv; extract the zips to k150ka_extracted/ and k150kb_extracted/ \
        beside the score files, or give a manifest.csv with name, url and mos columns",
    citation: "F. Götz-Hahn, V. Hosu, H. Lin, D. Saupe, \"KonVid-150k: A Dataset for \
        No-Reference Video Quality Assessment of Videos in-the-Wild\", IEEE Access 2021",
    licence_note: "research use under the KonViD-150k terms; keep clips and MOS local",
};

impl CorpusId {
    /// Every corpus, in the order they are listed.
    pub const ALL: [CorpusId; 2] = [CorpusId::Lsvq, CorpusId::Konvid150k];

    pub fn info(self) -> &'static CorpusInfo {
        match self {
            CorpusId::Lsvq => &LSVQ,
            CorpusId::Konvid150k => &KONVID_150K,
        }
    }
}
