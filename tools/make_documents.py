"""Regenerate src/aiochain/data/documents.jsonl, the demo's 1,000 short documents.

    python tools/make_documents.py

Deterministic: the same file every time. Each document is three or four sentences about one
subject, so that summaries (the simulation's lead sentences) differ from document to document.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SUBJECTS = [
    "the printing press",
    "the steam engine",
    "vaccination",
    "the telephone",
    "radio",
    "the transistor",
    "the internet",
    "electric light",
    "refrigeration",
    "antibiotics",
    "the bicycle",
    "container shipping",
    "the jet engine",
    "satellites",
    "solar panels",
    "the compass",
    "paper money",
    "the mechanical clock",
    "the microscope",
    "the telescope",
    "photography",
    "sound recording",
    "television",
    "the personal computer",
    "the smartphone",
    "GPS navigation",
    "wind turbines",
    "lithium batteries",
    "3D printing",
    "the elevator",
    "the railway",
    "canals",
    "irrigation",
    "the plough",
    "the windmill",
    "glassmaking",
    "steelmaking",
    "concrete",
    "plastics",
    "the sewing machine",
    "the typewriter",
    "the barcode",
    "credit cards",
    "email",
    "search engines",
    "open source software",
    "public libraries",
    "the postal service",
    "weather forecasting",
    "the encyclopedia",
]
ANGLES = [
    ("origins", "began as a modest idea that few people took seriously"),
    ("spread", "spread from a handful of workshops to the whole world"),
    ("economics", "changed what things cost and who could afford them"),
    ("daily life", "quietly reshaped the routines of ordinary households"),
    ("science", "opened questions that kept researchers busy for decades"),
    ("politics", "shifted power between governments, companies and citizens"),
    ("education", "changed how people learn and what they are expected to know"),
    ("health", "affected how long and how well people live"),
    ("environment", "left marks on the land, the air and the water"),
    ("work", "created some jobs, destroyed others and changed most of the rest"),
    ("cities", "altered the shape and the pace of city life"),
    ("communication", "changed how fast news and ideas travel"),
    ("failures", "also produced costly mistakes that are worth remembering"),
    ("rivals", "competed with alternatives that nearly won instead"),
    ("standards", "only took off once people agreed on common standards"),
    ("myths", "is surrounded by myths that historians keep correcting"),
    ("future", "may still change in ways its inventors never imagined"),
    ("craft", "depended on skilled craftspeople long before it was automated"),
    ("risk", "brought new risks that took years to understand and manage"),
    ("access", "reached rich and poor regions at very different speeds"),
]
DETAILS = [
    "Early versions were expensive, fragile and hard to repair.",
    "Within a generation it was taken for granted.",
    "Many of its first users were skeptical or even hostile.",
    "Several inventors claimed the credit, and the arguments lasted years.",
    "Its success depended on infrastructure that other people had to build.",
    "Later improvements mattered as much as the original invention.",
    "Governments tried, with mixed results, to regulate it.",
    "Its effects were felt most strongly in the places least expected.",
]


def main() -> None:
    rng = random.Random(1234)
    out = Path(__file__).resolve().parent.parent / "src" / "aiochain" / "data" / "documents.jsonl"
    lines = []
    for number, (subject, (angle, claim)) in enumerate((s, a) for s in SUBJECTS for a in ANGLES):
        details = rng.sample(DETAILS, rng.choice((2, 3)))
        text = f"The story of {subject} is a story of {angle}: it {claim}. " + " ".join(details)
        lines.append(json.dumps({"id": f"doc-{number:04d}", "subject": subject, "text": text}))
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} documents to {out}")


if __name__ == "__main__":
    main()
