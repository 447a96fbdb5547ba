"""ingest, probe, evaluate, corpora and scales: the same answers as the command line,
and Ctrl-C in Python stops an ingest promptly so that the next run completes."""

from __future__ import annotations

import functools
import http.server
import inspect
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import moscorpus
from conftest import local_copy, rows_without_time, run_cli


def test_ingest_equals_the_cli(demo_dir, cli, tmp_path):
    mine = local_copy(demo_dir, tmp_path / "py", rows=80)
    theirs = local_copy(demo_dir, tmp_path / "cli", rows=80)
    report = moscorpus.ingest("lsvq", dir=mine, min_csv_rows=1, full=True, prober="native")
    run_cli(
        cli, "ingest", "lsvq", "--dir", str(theirs), "--min-csv-rows", "1", "--full",
        "--prober", "native", "--report-json", str(tmp_path / "report.json"),
    )
    assert rows_without_time(mine / "lsvq.jsonl") == rows_without_time(theirs / "lsvq.jsonl")
    cli_report = json.loads((tmp_path / "report.json").read_text())
    as_dict = report.to_dict()
    for key in ("output", "state_file", "label_files"):
        as_dict.pop(key), cli_report.pop(key)
    assert as_dict == cli_report
    assert report.written == 80 and report.selected == 80
    assert repr(report).startswith("IngestReport(lsvq: 80 written, 0 already in, 0 skipped of 80")
    state = ".download-progress.json"
    assert (mine / state).exists() == (theirs / state).exists()
    # A second run finds every clip already present, as the CLI's would.
    again = moscorpus.ingest("lsvq", dir=mine, min_csv_rows=1, full=True)
    assert (again.written, again.dedups) == (0, 80)


def test_ingest_errors(tmp_path):
    with pytest.raises(moscorpus.CorpusError, match="hint:"):
        moscorpus.ingest("lsvq", dir=tmp_path / "absent")
    with pytest.raises(TypeError, match="no_such_flag"):
        moscorpus.ingest("lsvq", no_such_flag=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unknown corpus 'not-a-corpus': moscorpus knows lsvq, "):
        moscorpus.ingest("not-a-corpus")


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"max_rows": 0}, ValueError, "max_rows must be at least 1, not 0"),
        ({"max_rows": "10"}, TypeError, "max_rows must be an int, not str"),
        ({"max_rows": 10, "full": True}, ValueError, "max_rows and full=True exclude each other"),
        ({"split": "validation"}, ValueError, "split must be one of 'train', 'test', 'all', not 'validation'"),
        ({"download_timeout_s": -1.0}, ValueError, "download_timeout_s must be at least 0.0, not -1.0"),
        ({"prober": "mediainfo"}, ValueError, "prober must be one of 'auto', 'native', 'ffprobe'"),
        # Refused by the command line's parser, and put in this module's words.
        ({"shard": "5/4"}, ValueError, "invalid value '5/4' for shard="),
        ({"connections_per_file": 65}, ValueError, "for connections_per_file="),
    ],
)
def test_a_bad_value_is_refused_in_python_words(tmp_path, options, error, message):
    with pytest.raises(error, match=re.escape(message)) as refused:
        moscorpus.ingest("lsvq", dir=tmp_path, **options)
    text = str(refused.value)
    assert "--" not in text and "Usage" not in text and "try" not in text, text
    assert not list(tmp_path.iterdir()), "a refused call wrote nothing"


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda d: moscorpus.probe(d / "clip.mp4", prober="mediainfo"), ValueError, "prober must be one of"),
        (lambda d: moscorpus.probe(d / "absent.mp4"), FileNotFoundError, "absent.mp4"),
        (lambda d: moscorpus.evaluate(d / "l.csv", d / "p.csv", bootstrap=-1), ValueError,
         "bootstrap must be at least 0, not -1"),
        (lambda d: moscorpus.evaluate(d / "l.csv", d / "p.csv", repeat=2), ValueError,
         "repeat is a repeat of split_file"),
        (lambda d: moscorpus.evaluate(d / "l.csv", d / "p.csv", split="val"), ValueError,  # type: ignore
         "split must be one of 'test', 'test_1080p'"),
        (lambda d: moscorpus.evaluate(d / "absent.csv", d / "p.csv"), FileNotFoundError, "absent.csv"),
        (lambda d: moscorpus.audit(d, jobs=0), ValueError, "jobs must be at least 1, not 0"),
        (lambda d: moscorpus.audit(d / "absent"), FileNotFoundError, "absent"),
    ],
)
def test_every_function_refuses_a_bad_value_and_a_missing_file(tmp_path, call, error, message):
    (tmp_path / "p.csv").write_text("name,score\na.mp4,1.0\n")
    (tmp_path / "l.csv").write_text("name,mos\na.mp4,50\n")
    with pytest.raises(error, match=re.escape(message)) as refused:
        call(tmp_path)
    assert "--" not in str(refused.value)


def test_ingest_takes_every_flag_with_the_cli_defaults(cli):
    """Each flag of ``moscorpus ingest --help`` is a keyword argument of the same name,
    whose default is the flag's (None where the CLI's default depends on the corpus or
    the environment), and the other way round."""
    help_text = run_cli(cli, "ingest", "--help").stdout
    defaults = {}
    for block in re.split(r"\n(?=\s+(?:-\w, )?--[a-z])", help_text):
        flag = re.match(r"\s+(?:-\w, )?--([a-z0-9-]+)", block)
        if flag:
            default = re.search(r"\[default: ([^\]]*)\]", block)
            defaults[flag.group(1).replace("-", "_")] = default.group(1) if default else None
    # The CLI's own: a plan printed instead of a run, and the global flags (in Python the
    # `moscorpus` logger's level says what is shown; add_corpus_file() adds a corpus).
    for cli_only in ("help", "version", "dry_run", "quiet", "log_level", "corpus_file"):
        defaults.pop(cli_only)
    parameters = inspect.signature(moscorpus.ingest).parameters
    assert set(parameters) - {"corpus"} == set(defaults)
    for name, cli_default in defaults.items():
        mine = parameters[name].default
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        if mine is None or mine is False:
            continue
        if isinstance(mine, float):
            assert float(cli_default) == mine, name
        elif isinstance(mine, int):
            assert int(cli_default) == mine, name
        else:
            assert cli_default == mine, name


def test_probe_equals_the_cli(demo_dir, cli):
    clips = sorted((demo_dir / "clips").rglob("*.mp4"))[:5]
    for clip in clips:
        printed = json.loads(run_cli(cli, "probe", str(clip)).stdout)
        assert moscorpus.probe(clip).to_dict() == printed
        assert moscorpus.probe(str(clip), prober="native").to_dict() == json.loads(
            run_cli(cli, "probe", "--prober", "native", str(clip)).stdout
        )
    probed = moscorpus.probe(clips[-1])
    assert probed.video is not None and probed.video["codec_name"] == "h264"
    assert repr(probed).startswith(f"ProbeResult(h264 {probed.video['width']}x{probed.video['height']} ")
    assert printed["streams"][0]["codec_name"] == "h264"
    assert printed["streams"][0]["width"] > 0


def test_probe_of_a_non_video(tmp_path):
    page = tmp_path / "page.mp4"
    page.write_text("<html><body>Not Found</body></html>")
    with pytest.raises(moscorpus.CorpusError, match="page.mp4"):
        moscorpus.probe(page, prober="native")


def test_evaluate_equals_the_cli(demo_dir, cli, tmp_path):
    shard = demo_dir / "lsvq.jsonl"
    rows = [json.loads(line) for line in shard.read_text().splitlines()]
    predictions = tmp_path / "pred.csv"
    predictions.write_text(
        "name,score\n"
        + "".join(f"{r['src']},{(r['mos'] * 0.7 + (i * 37 % 11)) / 10:.4f}\n" for i, r in enumerate(rows))
    )
    for options, flags in [
        ({}, []),
        ({"logistic": True, "bootstrap": 200, "seed": 7}, ["--logistic", "--bootstrap", "200", "--seed", "7"]),
    ]:
        mine = moscorpus.evaluate(shard, predictions, **options)
        printed = json.loads(
            run_cli(cli, "evaluate", "--labels", str(shard), "--predictions", str(predictions), "--json", *flags).stdout
        )
        assert isinstance(mine, moscorpus.Metrics) and mine.to_dict() == printed
        assert mine.n == len(rows)
        assert 0.8 < mine.srocc <= 1.0
    assert mine.logistic is not None and mine.bootstrap is not None and mine.bootstrap.replicates == 200
    assert mine.bootstrap.srocc.low <= mine.srocc <= mine.bootstrap.srocc.high
    assert repr(mine) == (
        f"Metrics(n={mine.n}, srocc={mine.srocc:.4f}, plcc={mine.plcc:.4f}, "
        f"krcc={mine.krcc:.4f}, rmse={mine.rmse:.4f})"
    )
    # On frozen splits: every repeat and the summary, as the CLI prints them.
    split_file = tmp_path / "split.jsonl"
    run_cli(cli, "split", "--inputs", str(shard), "--output", str(split_file), "--repeats", "3")
    mine = moscorpus.evaluate(shard, predictions, split_file=split_file)
    printed = json.loads(
        run_cli(
            cli, "evaluate", "--labels", str(shard), "--predictions", str(predictions),
            "--split-file", str(split_file), "--json",
        ).stdout
    )
    assert isinstance(mine, moscorpus.SplitMetrics) and mine.to_dict() == printed
    assert mine.repeats == 3 and len(mine.per_repeat) == 3
    assert [m.repeat for m in mine.per_repeat] == [0, 1, 2]
    one = moscorpus.evaluate(shard, predictions, split_file=split_file, repeat=1)
    assert one.per_repeat[0] == mine.per_repeat[1]


def test_corpora_and_scales():
    corpora = {c["label"]: c for c in moscorpus.corpora()}
    # The built-in corpus files (a test may have added one of its own).
    assert set(corpora) >= {
        "lsvq", "konvid-150k", "konvid-1k", "live-vqc", "youtube-ugc", "waterloo-ivc-4k",
        "chug", "live-yt-gaming", "cvd2014", "kvq", "live-yt-hfr", "divide-maxwell",
        "finevd", "live-qualcomm",
    }
    assert corpora["cvd2014"]["variants"][0]["name"] == "original"
    assert corpora["kvq"]["challenge"]["srocc"] == 0.45
    assert corpora["lsvq"]["scale"]["native_range"] == [0.0, 100.0]
    assert corpora["youtube-ugc"]["scale"]["native_range"] == [1.0, 5.0]
    assert corpora["konvid-150k"]["default_max_rows"] is None
    assert corpora["chug"]["content_key"] == "content_name"
    assert "Patch-VQ" in corpora["lsvq"]["citation"]
    scales = {s["corpus"]: s for s in moscorpus.scales()}
    konvid = scales["konvid-150k"]
    assert (konvid["native_range"], konvid["offset"], konvid["factor"]) == ([1.0, 5.0], -1.0, 25.0)
    # A prediction on the unified axis goes back to the native one.
    assert 50.0 / konvid["factor"] - konvid["offset"] == 3.0


class SlowClips(http.server.SimpleHTTPRequestHandler):
    """Serves the demo's clips, each after a pause, so an ingest takes a while."""

    delay = 0.0

    def do_GET(self):
        time.sleep(self.delay)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture()
def slow_server(demo_dir):
    handler = functools.partial(SlowClips, directory=str(demo_dir / "clips"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


INGEST_SCRIPT = """
import sys, moscorpus
try:
    moscorpus.ingest("lsvq", dir=sys.argv[1], min_csv_rows=1, full=True, downloads=1,
                     downloads_per_host=1, prober="native")
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    sys.exit(42)
print("finished", flush=True)
"""


def test_ctrl_c_stops_an_ingest_and_the_rerun_completes(demo_dir, slow_server, tmp_path):
    SlowClips.delay = 0.1
    base = f"http://127.0.0.1:{slow_server.server_address[1]}"
    work = local_copy(demo_dir, tmp_path / "work", rows=150, url_base=base)
    child = subprocess.Popen(
        [sys.executable, "-c", INGEST_SCRIPT, str(work)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not list((work / "clips").rglob("*.mp4")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    waited = time.monotonic() - sent
    assert child.returncode == 42, (out, err)
    assert "KeyboardInterrupt" in out
    assert waited < 5.0, f"the ingest took {waited:.1f} s to stop"
    downloaded = len(list((work / "clips").rglob("*.mp4")))
    assert 0 < downloaded < 150
    state = json.loads((work / ".download-progress.json").read_text())
    assert sum(1 for e in state.values() if e["state"] == "done") >= 1

    SlowClips.delay = 0.0
    report = moscorpus.ingest("lsvq", dir=work, min_csv_rows=1, full=True, prober="native")
    assert report.skipped_download == 0
    assert report.written + report.dedups == 150
    rows = rows_without_time(work / "lsvq.jsonl")
    assert len(rows) == 150
    assert len({r["src"] for r in rows}) == 150


# Sends Ctrl-C to itself from inside a `logging` handler or a tqdm update, so that
# Python raises the KeyboardInterrupt there rather than in the module's own signal check.
SIGNAL_INSIDE_SCRIPT = """
import logging, os, signal, sys
import tqdm.auto
import moscorpus

def interrupt_once(*_):
    if not getattr(interrupt_once, "sent", False):
        interrupt_once.sent = True
        os.kill(os.getpid(), signal.SIGINT)

if sys.argv[2] == "logging":
    class Interrupting(logging.Handler):
        def emit(self, record):
            interrupt_once()
    logging.getLogger("moscorpus").addHandler(Interrupting())
    logging.getLogger("moscorpus").setLevel(logging.DEBUG)
else:
    update = tqdm.auto.tqdm.update
    def interrupting_update(self, n=1):
        interrupt_once()
        return update(self, n)
    tqdm.auto.tqdm.update = interrupting_update
""" + INGEST_SCRIPT


@pytest.mark.parametrize("inside", ["logging", "tqdm"])
def test_ctrl_c_raised_inside_a_log_handler_or_tqdm_stops_the_ingest(demo_dir, slow_server, tmp_path, inside):
    SlowClips.delay = 0.1
    base = f"http://127.0.0.1:{slow_server.server_address[1]}"
    work = local_copy(demo_dir, tmp_path / "work", rows=150, url_base=base)
    child = subprocess.run(
        [sys.executable, "-c", SIGNAL_INSIDE_SCRIPT, str(work), inside],
        capture_output=True, text=True, timeout=60,
    )
    assert child.returncode == 42, (child.stdout, child.stderr)
    assert "KeyboardInterrupt" in child.stdout
    assert len(list((work / "clips").rglob("*.mp4"))) < 150


def test_console_script_exit_codes(cli, tmp_path):
    assert run_cli(cli, "--version").stdout.startswith("moscorpus ")
    missing = run_cli(cli, "ingest", "lsvq", "--dir", str(tmp_path / "absent"), check=False)
    assert missing.returncode == 2 and "hint:" in missing.stderr
    module = subprocess.run([sys.executable, "-m", "moscorpus", "--help"], capture_output=True, text=True)
    assert module.returncode == 0 and "ingest" in module.stdout


def test_audit_returns_a_table_of_verdicts(tmp_path):
    """#23: ``moscorpus.audit`` gives the CLI's audit lines as a pyarrow Table."""
    fixtures = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "probe"
    whole = (fixtures / "h264_faststart.mp4").read_bytes()
    (tmp_path / "whole.mp4").write_bytes(whole)
    (tmp_path / "cut.mp4").write_bytes(whole[: len(whole) * 6 // 10])
    table = moscorpus.audit(tmp_path, decode=True)
    rows = table.to_pylist()
    assert [(r["src"], r["verdict"]) for r in rows] == [("cut.mp4", "truncated"), ("whole.mp4", "ok")]
    assert rows[1]["decoded_frames"] == rows[1]["container_frames"] == rows[1]["frames_present"]
    assert rows[0]["frames_present"] < rows[0]["container_frames"]
    assert "decode" in rows[1]["checks"] and table.schema.field("size_bytes").type == "int64"
    with pytest.raises(moscorpus.CorpusError, match="needs ffmpeg"):
        moscorpus.audit(tmp_path, decode=True, ffmpeg=tmp_path / "no-ffmpeg")


def test_corpus_errors_say_where_as_data(tmp_path):
    predictions = tmp_path / "pred.csv"
    predictions.write_text("name,score\na.mp4,1.0\n")
    labels = tmp_path / "labels.csv"
    labels.write_text("name,score_x\na.mp4,1\n")
    with pytest.raises(moscorpus.CorpusError, match="labels.csv:1: the header has no") as raised:
        moscorpus.evaluate(labels, predictions)
    error = raised.value
    assert (error.path, error.line, error.kind) == (str(labels), 1, "missing_column")
    absent = tmp_path / "absent.csv"
    with pytest.raises(FileNotFoundError, match="no such file") as missing:
        moscorpus.evaluate(absent, predictions)
    assert (missing.value.errno, missing.value.filename) == (2, str(absent))


def _with_a_missing_clip(demo_dir, folder):
    folder = local_copy(demo_dir, folder, rows=40)
    with open(folder / "manifest.csv", "a") as labels:
        labels.write("gone/clip,,50\n")
    return folder


def test_ingest_logs_through_logging_and_draws_progress_with_tqdm(demo_dir, tmp_path, caplog, capsys):
    """#27: the run's log lines are records of the `moscorpus` logger at the logger's
    level, and its progress a tqdm bar on sys.stderr (where a notebook shows both)."""
    folder = _with_a_missing_clip(demo_dir, tmp_path / "logged")
    with caplog.at_level(logging.WARNING, logger="moscorpus"):
        report = moscorpus.ingest("lsvq", dir=folder, min_csv_rows=1, full=True, prober="native")
    assert report.written == 40
    records = [r for r in caplog.records if r.name == "moscorpus"]
    assert any(r.levelno == logging.WARNING and "gone/clip.mp4" in r.getMessage() for r in records), records
    assert all(r.levelno >= logging.WARNING for r in records)
    bar = capsys.readouterr().err
    assert "moscorpus ingest" in bar and "41/41" in bar, bar
    # The logger's level is read at each call: at DEBUG the same run says more.
    with caplog.at_level(logging.DEBUG, logger="moscorpus"):
        moscorpus.ingest("lsvq", dir=folder, min_csv_rows=1, full=True, prober="native")
    assert any(r.levelno == logging.DEBUG for r in caplog.records if r.name == "moscorpus")


def test_a_notebook_shows_the_warnings_and_the_bar(demo_dir, tmp_path):
    """As in Jupyter, where ipykernel replaces `sys.stderr` with a stream of its own and
    whatever goes to the process's file descriptor 2 is never shown: a program that set
    up no logging gets the run's warnings and its tqdm bar on `sys.stderr`, nothing on
    fd 2."""
    folder = _with_a_missing_clip(demo_dir, tmp_path / "notebook")
    cell = (
        "import io, sys, moscorpus\n"
        "shown = io.StringIO()\n"
        "sys.stderr = shown\n"
        f"moscorpus.ingest('lsvq', dir={str(folder)!r}, min_csv_rows=1, full=True, prober='native')\n"
        "sys.__stdout__.write(shown.getvalue())\n"
    )
    done = subprocess.run([sys.executable, "-c", cell], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "gone/clip.mp4" in done.stdout and "no-url" in done.stdout, done.stdout
    assert "moscorpus ingest" in done.stdout and "41/41" in done.stdout, done.stdout
    assert done.stderr == "", done.stderr


def _ctrl_c_stops(call: str, args: list, what: str, pause: float) -> None:
    """Runs ``call`` (Python, reading ``sys.argv[1:]``) in a child, sends SIGINT after
    ``pause`` seconds, and checks that it raised KeyboardInterrupt within 2 s."""
    script = (
        "import sys, moscorpus\n"
        "print('started', flush=True)\n"
        "try:\n"
        f"    {call}\n"
        "except KeyboardInterrupt:\n"
        "    print('KeyboardInterrupt', flush=True)\n"
        "    sys.exit(42)\n"
        "print('finished', flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "started"
    time.sleep(pause)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=300)
    waited = time.monotonic() - sent
    assert child.returncode == 42, (out, err)
    assert "KeyboardInterrupt" in out and "finished" not in out
    assert waited < 2.0, f"the {what} took {waited:.1f} s to stop"


def test_ctrl_c_stops_a_large_read(tmp_path):
    """#27: Ctrl-C during a read of many shards raises KeyboardInterrupt promptly
    instead of waiting for the read to end."""
    from conftest import look_alike_row, write_shard

    shard = write_shard(tmp_path / "big.jsonl", [look_alike_row("lsvq", i, 50.0, 1.0) for i in range(20_000)])
    paths = []
    for i in range(150):
        link = tmp_path / f"copy{i:03d}.jsonl"
        link.symlink_to(shard)
        paths.append(link)
    _ctrl_c_stops("moscorpus.read(sys.argv[1:])", paths, "read", pause=0.5)


def test_ctrl_c_stops_a_long_evaluate(tmp_path):
    """#27: Ctrl-C during a million-replicate bootstrap (about 200 s here) raises
    KeyboardInterrupt promptly."""
    from conftest import look_alike_row, write_shard

    rows = [look_alike_row("lsvq", i, float(i % 97), 1.0) for i in range(5_000)]
    shard = write_shard(tmp_path / "labels.jsonl", rows)
    predictions = tmp_path / "pred.csv"
    predictions.write_text("name,score\n" + "".join(f"{r['src']},{(i * 31) % 89}\n" for i, r in enumerate(rows)))
    call = "moscorpus.evaluate(sys.argv[1], sys.argv[2], bootstrap=1_000_000)"
    _ctrl_c_stops(call, [shard, predictions], "evaluate", pause=1.0)


def test_ctrl_c_stops_a_long_audit(tmp_path):
    """#27: Ctrl-C while ffmpeg decodes 400 clips one by one (about 40 s here) raises
    KeyboardInterrupt after the clip under way, not after the folder."""
    fixtures = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "probe"
    for i in range(400):
        (tmp_path / f"clip{i:03d}.mp4").symlink_to(fixtures / "h264_faststart.mp4")
    call = "moscorpus.audit(sys.argv[1], decode=True, jobs=1)"
    _ctrl_c_stops(call, [tmp_path], "audit", pause=1.0)


IN_HOUSE = """
label = "acme-py"
title = "ACME (Python)"
version = "acme-py-1"

[labels]
candidates = ["scores.csv"]
naming = "base_name"

[columns]
name = ["clip"]
mos = ["overall"]

[[score]]
name = "sharpness"
column = "sharpness"
range = [0.0, 10.0]

[scale]
range = [1.0, 5.0]
name = "1-5-acr"
offset = -1.0
factor = 25.0
"""


def test_a_corpus_file_adds_a_corpus_to_every_function(tmp_path):
    repo = Path(__file__).resolve().parents[2]
    clip = (repo / "tests/fixtures/clips/h264_160x120_ntsc.mp4").read_bytes()
    work = tmp_path / "acme"
    (work / "clips").mkdir(parents=True)
    for name in ("a", "b"):
        (work / "clips" / f"{name}.mp4").write_bytes(clip + name.encode())
    (work / "scores.csv").write_text("clip,overall,sharpness\na,4.5,2.0\nb,1.5,9.5\n")
    corpus_file = tmp_path / "acme.toml"
    corpus_file.write_text(IN_HOUSE)

    assert moscorpus.add_corpus_file(corpus_file) == "acme-py"
    assert moscorpus.add_corpus_file(str(corpus_file)) == "acme-py"  # again: no-op
    listed = [c for c in moscorpus.corpora() if c["label"] == "acme-py"]
    assert len(listed) == 1 and listed[0]["scores"][0]["key"] == "sharpness"

    report = moscorpus.ingest("acme-py", dir=work, min_csv_rows=1, full=True, prober="native")
    assert report.written == 2
    rows = [json.loads(line) for line in (work / "acme_py.jsonl").read_text().splitlines()]
    assert [(r["src"], r["mos"], r["sharpness"]) for r in rows] == [
        ("a.mp4", 4.5, 2.0), ("b.mp4", 1.5, 9.5)
    ]
    table = moscorpus.read([work / "acme_py.jsonl"], unified=True)
    assert table.column("mos_unified").to_pylist() == [87.5, 12.5]

    bad = tmp_path / "bad.toml"
    bad.write_text(IN_HOUSE.replace('version = "acme-py-1"', 'versoin = "x"'))
    with pytest.raises(moscorpus.CorpusError) as raised:
        moscorpus.add_corpus_file(bad)
    assert raised.value.kind == "corpus_file"
    assert raised.value.line == 4 and raised.value.path == str(bad)
    assert "unknown field `versoin`" in str(raised.value)


def test_evaluate_pairs_and_the_kvq_challenge_score_equal_the_cli_and_scipy(cli, tmp_path):
    kvq = Path(__file__).resolve().parents[2] / "tests/fixtures/labels/kvq"
    reference = json.loads((kvq / "reference.json").read_text())
    got = moscorpus.evaluate(
        kvq / "truth.csv", kvq / "predictions.csv", corpus="kvq",
        pairs=[kvq / "rank-pair-val.xlsx"],
    )
    assert got.challenge is not None and got.challenge.name == "NTIRE 2024 KVQ"
    assert abs(got.challenge.score - reference["challenge_score"]) < 1e-12
    assert got.pairs is not None
    assert {p.set: p.accuracy for p in got.pairs} == pytest.approx(reference["accuracy"], abs=1e-12)
    printed = run_cli(
        cli, "evaluate", "--corpus", "kvq", "--labels", str(kvq / "truth.csv"),
        "--predictions", str(kvq / "predictions.csv"),
        "--pairs", str(kvq / "rank-pair-val.xlsx"), "--json",
    )
    assert got.to_dict() == json.loads(printed.stdout)
    # Without pairs, the keys are absent, as the CLI leaves them out.
    plain = moscorpus.evaluate(kvq / "truth.csv", kvq / "predictions.csv", corpus="kvq")
    assert plain.pairs is None and "pairs" not in plain.to_dict()
