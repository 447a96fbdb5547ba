//! Every label shape is detected and parsed from look-alike fixtures
//! (tests/fixtures/labels/): CRLF, BOM, quoted list cells, dotted names, `.mp4.mp4`,
//! `is_test` splits, and the KonViD-150k layouts with and without a header.

use std::path::{Path, PathBuf};

use moscorpus::corpus::CorpusId;
use moscorpus::manifest::konvid_scores::{ScorePart, discover};
use moscorpus::manifest::{LabelShape, ParseOptions, parse_konvid_scores, parse_label_file};
use moscorpus::pipeline::select::{TrainTest, select};

fn labels(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/labels")
        .join(name)
}

fn opts(corpus: CorpusId) -> ParseOptions {
    ParseOptions::new(corpus)
}

fn keys(rows: &[moscorpus::manifest::ManifestRow]) -> Vec<&str> {
    rows.iter().map(|r| r.key.as_str()).collect()
}

#[test]
fn simplevqa_csv_with_crlf_quoted_lists_and_dotted_names() {
    let m = parse_label_file(&labels("LSVQ_whole_test.csv"), &opts(CorpusId::LSVQ)).unwrap();
    assert_eq!(m.shape, LabelShape::LsvqCsv);
    assert_eq!(
        keys(&m.rows),
        [
            "yfcc-batch3/1203.mp4",
            "ia-batch7/Some.Talk.Show.Ep._11.mp4",
            "backup/odd_name.mp4.mp4"
        ]
    );
    assert_eq!(m.rows[0].mos, 71.25);
    assert_eq!(m.rows[1].mos, 45.5);
    assert_eq!(
        (m.rows[0].mos_std_dev, m.rows[0].n_ratings),
        (0.0, 0),
        "LSVQ has no std-dev or count"
    );
    assert!(
        m.rows
            .iter()
            .all(|r| r.is_test == Some(true) && r.url.is_none())
    );
    assert_eq!(m.rows[0].line, 2);
    // Empty MOS, NaN MOS, no name, a name leaving the clips folder: each skipped with its line.
    let problems: Vec<(usize, &str)> = m
        .problems
        .iter()
        .map(|p| (p.line, p.reason.as_str()))
        .collect();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert_eq!(problems[0].0, 5);
    assert!(problems[0].1.contains("no MOS"));
    assert_eq!(problems[1].0, 6);
    assert!(problems[1].1.contains("not a finite number"));
    assert_eq!(problems[2], (7, "no clip name"));
    assert!(problems[3].1.contains("leave the clips folder"));
    assert_eq!(m.data_lines, 7);
    let message = m.problem_messages().next().unwrap();
    assert!(message.contains("LSVQ_whole_test.csv:5: "), "{message}");
}

#[test]
fn simplevqa_1080p_has_no_split_column() {
    let m = parse_label_file(&labels("LSVQ_whole_test_1080p.csv"), &opts(CorpusId::LSVQ)).unwrap();
    assert_eq!(m.shape, LabelShape::LsvqCsv);
    assert_eq!(
        keys(&m.rows),
        ["yfcc-batch12/9001.mp4", "ia-batch2/Talk.v1.2.mp4"]
    );
    assert!(!m.has_split());
    assert_eq!(m.rows[1].mos, 17.72);
}

#[test]
fn official_csv_with_bom_and_is_test_split() {
    let m = parse_label_file(&labels("labels_train_test.csv"), &opts(CorpusId::LSVQ)).unwrap();
    assert_eq!(
        m.shape,
        LabelShape::LsvqCsv,
        "the BOM must not hide the header"
    );
    assert!(m.has_split());
    let train = select(m.rows.clone(), TrainTest::Train, None);
    let test = select(m.rows.clone(), TrainTest::Test, None);
    assert_eq!(
        keys(&train),
        ["yfcc-batch1/10.mp4", "ia-batch4/Nice.Day.at.the.Beach.mp4"]
    );
    assert_eq!(keys(&test), ["yfcc-batch1/11.mp4", "yfcc-batch2/12.mp4"]);
    assert_eq!(select(m.rows.clone(), TrainTest::All, Some(3)).len(), 3);
    assert_eq!(
        keys(&select(m.rows, TrainTest::Test, Some(1))),
        ["yfcc-batch1/11.mp4"]
    );
}

#[test]
fn dover_list_without_header_or_final_newline() {
    let m = parse_label_file(&labels("labels_test.txt"), &opts(CorpusId::LSVQ)).unwrap();
    assert_eq!(m.shape, LabelShape::DoverList);
    assert_eq!(
        keys(&m.rows),
        [
            "yfcc-batch1/725.mp4",
            "ia-batch4/Show.Ep._11.mp4",
            "backup/odd_name.mp4.mp4"
        ]
    );
    assert_eq!(m.rows[0].mos, 76.84375);
    assert_eq!(m.rows[2].mos, 33.0);
    assert_eq!(m.rows[2].line, 3);
    assert!(m.problems.is_empty());
}

#[test]
fn generic_manifest_with_alias_columns() {
    let m = parse_label_file(
        &labels("manifest.csv"),
        &opts(CorpusId::from_label("konvid-150k").unwrap()),
    )
    .unwrap();
    assert_eq!(m.shape, LabelShape::GenericCsv);
    assert_eq!(
        keys(&m.rows),
        ["0001.mp4", "clip_b.mp4", "nested/clip.c.mp4"]
    );
    assert_eq!(
        (m.rows[0].mos, m.rows[0].mos_std_dev, m.rows[0].n_ratings),
        (3.42, 0.61, 5)
    );
    assert_eq!(
        m.rows[0].url.as_deref(),
        Some("http://127.0.0.1:9/0001.mp4")
    );
    assert_eq!(
        (
            m.rows[1].url.as_deref(),
            m.rows[1].mos_std_dev,
            m.rows[1].n_ratings
        ),
        (None, 0.0, 0)
    );
}

#[test]
fn konvid_scores_with_and_without_header() {
    let o = opts(CorpusId::from_label("konvid-150k").unwrap());
    let a = ScorePart {
        scores: labels("k150ka_scores.csv"),
        clips_folder: "k150ka_extracted",
    };
    let m = parse_konvid_scores(&a, &o).unwrap();
    assert_eq!(
        keys(&m.rows),
        [
            "k150ka_extracted/orig_10000251326_540_5s.mp4",
            "k150ka_extracted/orig_10000251327_540_5s.mp4",
            "k150ka_extracted/orig_10000251328_540_5s.mp4"
        ]
    );
    assert_eq!(m.rows[0].line, 1, "no header: the first line is data");
    assert_eq!(m.rows[2].mos, 4.6);

    let b = ScorePart {
        scores: labels("k150kb_scores.csv"),
        clips_folder: "k150kb_extracted",
    };
    let m = parse_konvid_scores(&b, &o).unwrap();
    assert_eq!(
        keys(&m.rows),
        [
            "k150kb_extracted/orig_20000000001_540_5s.mp4",
            "k150kb_extracted/orig_20000000002_540_5s.mp4"
        ]
    );
    assert_eq!(m.rows[0].mos, 3.25, "`mos` wins over `video_score`");
    assert_eq!(m.rows[0].line, 2);

    let a2 = ScorePart {
        scores: labels("k150ka_scores_with_header.csv"),
        clips_folder: "k150ka_extracted",
    };
    let m = parse_konvid_scores(&a2, &o).unwrap();
    assert_eq!(
        keys(&m.rows),
        ["k150ka_extracted/orig_30000000001_540_5s.mp4"]
    );
    assert_eq!(
        m.rows[0].mos, 2.75,
        "`video_score` is the MOS when no `mos` column exists"
    );
}

#[test]
fn konvid_layout_is_discovered_beside_the_extracted_folders() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        discover(
            dir.path(),
            CorpusId::from_label("konvid-150k")
                .unwrap()
                .info()
                .score_parts
        )
        .is_empty()
    );
    std::fs::copy(
        labels("k150kb_scores.csv"),
        dir.path().join("k150kb_scores.csv"),
    )
    .unwrap();
    std::fs::copy(
        labels("k150ka_scores.csv"),
        dir.path().join("k150ka_scores.csv"),
    )
    .unwrap();
    let parts = discover(
        dir.path(),
        CorpusId::from_label("konvid-150k")
            .unwrap()
            .info()
            .score_parts,
    );
    assert_eq!(
        parts.iter().map(|p| p.clips_folder).collect::<Vec<_>>(),
        ["k150ka_extracted", "k150kb_extracted"]
    );
}

#[test]
fn headerless_csv_and_missing_columns_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        ("empty.csv", "", "empty"),
        ("blank.csv", "\n\n  \n", "empty"),
        (
            "headerless.csv",
            "0001,3.4\n0002,2.1\n",
            ":1: no header line",
        ),
        (
            "nomos.csv",
            "name,url\n0001,http://x/a.mp4\n",
            ":1: the header has no MOS column",
        ),
        ("noname.csv", "clip,mos\n0001,3.3\n", ":1: no header line"),
    ];
    for (name, text, needle) in cases {
        let err = parse_label_file(&write(name, text), &opts(CorpusId::LSVQ)).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{name}");
        let message = err.to_string();
        assert!(
            message.contains(name) && message.contains(needle),
            "{name}: {message}"
        );
    }
}

/// #24 item 2: a VIDEVAL row with a valid MOS and `stdFull` = NaN keeps its row, its SD
/// unknown (0.0, as when a file has no SD column); a NaN MOS is still refused.
#[test]
fn a_nan_std_dev_is_unknown_and_keeps_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("YOUTUBE_UGC_metadata.csv");
    std::fs::write(
        &path,
        "vid,category,resolution,x_Subjects,MOSFull,stdFull\n\
         Animation_1080P-01b3,Animation,1080,125,3.66,0.47\n\
         Sports_2160P-4e9f,Sports,2160,NaN,4.41,NaN\n\
         Gaming_720P-0c1d,Gaming,720,98,NaN,0.81\n",
    )
    .unwrap();
    let m = parse_label_file(&path, &opts(CorpusId::from_label("youtube-ugc").unwrap())).unwrap();
    let figures: Vec<(f64, f64, u64)> = m
        .rows
        .iter()
        .map(|r| (r.mos, r.mos_std_dev, r.n_ratings))
        .collect();
    assert_eq!(figures, [(3.66, 0.47, 125), (4.41, 0.0, 0)]);
    assert_eq!(m.problems.len(), 1);
    assert_eq!(m.problems[0].line, 4);
}

/// A label file that cannot be read says where and why as data (#25): the file, the
/// line, the kind, and a hint built from the kind; the message is the one users read.
#[test]
fn label_errors_carry_their_file_line_and_kind() {
    use moscorpus::manifest::ErrorKind;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labels.csv");
    std::fs::write(&path, "name,score_x\nyfcc-batch1/1,3.5\n").unwrap();
    let error = match parse_label_file(&path, &opts(CorpusId::LSVQ)) {
        Err(moscorpus::Error::Label(error)) => error,
        other => panic!("expected a label error, got {other:?}"),
    };
    assert_eq!(
        (error.path.as_path(), error.line),
        (path.as_path(), Some(1))
    );
    assert!(
        matches!(&error.kind, ErrorKind::MissingColumn { what: "MOS", .. }),
        "{:?}",
        error.kind
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{}:1: the header has no MOS column (found: name, score_x)",
            path.display()
        )
    );
    assert!(
        error
            .hint()
            .unwrap()
            .starts_with("name the MOS column one of: ")
    );
    assert_eq!(moscorpus::Error::Label(error).exit_code(), 2);

    std::fs::write(&path, "").unwrap();
    let empty = parse_label_file(&path, &opts(CorpusId::LSVQ)).unwrap_err();
    assert!(
        matches!(&empty, moscorpus::Error::Label(e) if matches!(e.kind, ErrorKind::Empty) && e.line.is_none()),
        "{empty:?}"
    );
}
