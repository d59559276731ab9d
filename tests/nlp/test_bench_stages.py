"""`bench/nlp_tagging.py --stages`: the parts of `Tagger.tag` it times are the ones the code
has, and timing them changes nothing the tagger says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "nlp_tagging.py"


def _side(texts: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), "--side", "commwatch", "--texts", str(texts), *extra],
        check=True, capture_output=True, text=True, cwd=BENCH.parent.parent,
    )


def test_stages_time_every_part_and_leave_the_tags_alone(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH.parent))
    try:
        from nlp_tagging import STAGES, make_texts
    finally:
        sys.path.remove(str(BENCH.parent))
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(make_texts(300)), encoding="utf-8")
    plain, timed = _side(texts), _side(texts, "--stages")
    rows = {line.rsplit(None, 2)[0].strip(): float(line.rsplit(None, 2)[1])
            for line in timed.stderr.splitlines() if line.endswith("µs/message")}
    assert set(rows) == {name.strip() for name, _module, _qualified in STAGES}
    assert all(value > 0 for value in rows.values())
    assert "µs/message" not in plain.stderr
    tags = [json.loads(done.stdout.strip().splitlines()[-1])["tags"] for done in (plain, timed)]
    assert tags[0] == tags[1] > 0
