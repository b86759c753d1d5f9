"""`python -m controller merge` of fake share folders: the merged cell, and every bad usage refused
with exit 2 and nothing written. Merges of real shares are in test_client_share.py."""

from __future__ import annotations

import json
from pathlib import Path

from controller.cli import main


def _fake_share(folder: Path, share: str, scenario: str = "s", labels: dict | None = None
                ) -> Path:
    folder.mkdir(parents=True)
    labels = labels or {"variant": "v"}
    summary = {"share": share, "scenario": scenario, "labels": labels,
               "variant": labels.get("variant"), "model": "closed", "method": "GET",
               "path": "/x", "share_step": {"rate": None, "concurrency": 2, "iterations": 2,
                                            "duration_s": None}, "warnings": []}
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "requests.csv").write_text("seq,worker,scheduled_ns,sent_ns,done_ns,status,bytes,"
                                         f"error\n{int(share[0]) - 1},0,,100,200,200,2,\n")
    return folder


def test_merge_of_fake_shares_and_its_bad_usage(tmp_path, capsys):
    a = _fake_share(tmp_path / "a", "1/2")
    b = _fake_share(tmp_path / "b", "2/2")
    header = "ts_ns,scope,pid,name,cpu_percent\n"
    (a / "monitor-client.csv").write_text(header + "1,host,,client-a,5\n")
    (b / "monitor-client.csv").write_text(header + "2,host,,client-b,6\n")
    assert main(["merge", "--out", str(tmp_path / "ok"), str(a), str(b)]) == 0
    merged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (merged["requests"], merged["clients"], merged["concurrency"]) == (2, 2, 2)
    assert (tmp_path / "ok" / "monitor-client.csv").read_text() == \
        header + "1,host,,client-a,5\n2,host,,client-b,6\n"

    other = _fake_share(tmp_path / "c", "2/2", scenario="t")
    relabeled = _fake_share(tmp_path / "d", "2/2", labels={"variant": "w"})
    for args in ([str(a), str(other)], [str(a), str(relabeled)], [str(a)],
                 [str(a), str(tmp_path / "missing")], [str(a), str(a)]):
        assert main(["merge", "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert "scenarios" in err and "'labels'" in err and "missing" in err
    assert not (tmp_path / "out").exists()
    assert main(["merge", "--out", str(a), str(a), str(b)]) == 2  # would overwrite a share
