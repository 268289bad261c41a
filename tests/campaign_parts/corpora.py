"""Small corpora written on the fly: quick to embed, with facts whose answers are known.

The kill, write-fault, tamper and load parts use them so each rebuild takes seconds; the question
part adds a hostile document (mentions, markdown, code fences, invites, bidi controls) to the corpus,
so that answers carry hostile text too.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from index.config import PROJECT_ROOT

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
NUMBERS = ("three", "seven", "eleven", "fourteen", "nineteen", "twenty-two", "twenty-six", "thirty",
           "thirty-three", "thirty-eight", "forty-one", "forty-five")


@dataclass(frozen=True)
class Fact:
    """A question the corpus answers, and words the right quote contains."""

    question: str
    expected: str
    doc: str


SMALL_TOPICS = {
    "harbour.md": ("harbour master", "counted", "ships at anchor"),
    "orchard.md": ("orchard keeper", "picked", "crates of apples"),
    "sub/railway.md": ("station clerk", "sold", "tickets to the coast"),
}
OTHER_TOPICS = {
    "lighthouse.md": ("lighthouse keeper", "logged", "passing trawlers"),
    "vineyard.md": ("vineyard owner", "bottled", "barrels of wine"),
}
SMALL_FACT = Fact("How many ships at anchor did the harbour master count in March?", "nineteen ships at anchor", "harbour.md")
OTHER_FACT = Fact("How many passing trawlers did the lighthouse keeper log in March?", "nineteen passing trawlers", "lighthouse.md")
REAL_FACT = Fact("what did Abrams warn?", "Abrams warned", "end-of-war-declaration-blog.txt")


def _topic_text(role: str, verb: str, thing: str, offset: int) -> str:
    sentences = [
        f"In {month} the {role} {verb} {NUMBERS[(k + offset) % len(NUMBERS)]} {thing}."
        for k, month in enumerate(MONTHS)
    ]
    extra = [f"The {role} wrote every figure into a blue ledger kept by the door.",
             f"Nobody else in the village kept such careful records of {thing}."]
    title = f"# Notes of the {role}"
    return "\n\n".join([title, " ".join(sentences[:6]), " ".join(sentences[6:]), " ".join(extra)]) + "\n"


def write_topics(folder: Path, topics: dict[str, tuple[str, str, str]]) -> Path:
    for offset, (name, (role, verb, thing)) in enumerate(topics.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_topic_text(role, verb, thing, 2 + offset * 5), encoding="utf-8")
    return folder


def small_corpus(folder: Path) -> tuple[Path, Fact]:
    """Three short documents (about 45 sentences): a rebuild embeds them in seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_topics(folder, SMALL_TOPICS), SMALL_FACT


def other_corpus(folder: Path) -> tuple[Path, Fact]:
    """A second small corpus on other topics, to swap index files between corpora."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_topics(folder, OTHER_TOPICS), OTHER_FACT


def real_corpus_copy(folder: Path) -> tuple[Path, Fact]:
    """A writable copy of the project's default corpus."""
    shutil.copytree(PROJECT_ROOT / "corpus", folder, dirs_exist_ok=True)
    return folder, REAL_FACT


HOSTILE_DOC_NAME = "vault_*ops*_@here <@&987654321098765432> ||x||.md"
HOSTILE_DOC = "\n\n".join([
    "# Vault operations handbook",
    "1. The vault password rotation happens every Monday at nine and @everyone must be told by @here.",
    "2. Ping <@123456789012345678> or <@!123456789012345678> or the <@&987654321098765432> role in "
    "<#555555555555555555> before the vault password rotation starts.",
    "- The backup key for the vault rotation is stored in ```the red safe``` behind the ||spoiler curtain||.",
    "> The auditor wrote: \"**never** share the __master__ key ~~with anyone~~\" during a vault rotation.",
    "Join the vault rotation channel at discord.gg/vaultops or https://discord.com/invite/vaultops for alerts.",
    "The vault rotation schedule was approved <t:1700000000:R> by the :lock: committee </reindex:1234567890123456789> 🔐🗝️.",
    "Running `rm -rf /` is not the vault rotation command; the real one is [rotate-now](https://evil.example/rotate).",
    "The escape character \\ and the sequence \\*not bold\\* appear in the vault rotation log.",
    "-# The subtext line says the vault rotation log is kept for ninety days.",
    "The Arabic note reads \u200fمرحبا\u200f and the override \u202etxet desrever\u202c marks the vault rotation log end.",
    "Zero\u200bwidth\u200bjoiners\u200d and a byte order mark \ufeff appear in the vault password rotation notes.",
    "```",
    "The unclosed code fence above opens before the vault rotation summary: rotate weekly.",
    "#hashtag *single* _under_ `tick` | pipe > arrow < angle {{template}} ${HOME} %s in the vault rotation index.",
])
HOSTILE_QUESTIONS = (
    "when does the vault password rotation happen?",
    "who must be pinged before the vault password rotation?",
    "where is the backup key for the vault rotation stored?",
    "what did the auditor write about the vault rotation?",
    "where can I join the vault rotation channel?",
    "who approved the vault rotation schedule?",
    "what is the vault rotation command?",
    "what appears in the vault rotation log?",
    "how long is the vault rotation log kept?",
    "what marks the vault rotation log end?",
    "what appears in the vault password rotation notes?",
    "what is in the vault rotation summary?",
    "what is in the vault rotation index?",
)


def add_hostile_document(folder: Path) -> Path:
    path = folder / HOSTILE_DOC_NAME
    path.write_text(HOSTILE_DOC + "\n", encoding="utf-8")
    return path
