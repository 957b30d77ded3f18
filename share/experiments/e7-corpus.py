"""E7's corpus at scale: the licences of /usr/share/common-licenses, then
every /usr/share/doc/*/copyright file of the machine, then every
/usr/share/doc/*/changelog.Debian.gz, one document a line on stdout,
whitespace runs as single spaces.

Why these: Debian Policy requires every package to ship its copyright
file (12.5) and, for every package not native to Debian, its Debian
changelog (12.7), so every Debian system with its documentation
installed has them.  The licences and copyright files alone come to
about 0.66 million words once repeats are dropped (below); the
changelogs' entries (what maintainers changed and why, written by
hand) bring the corpus past a million.  Of a changelog only the entries'
text is kept: the header line of each version ("pkg (1.2-3) unstable;
urgency=medium") and the trailer line (" -- Name <mail>  date") are
machine-made and dropped.

Copyright files repeat each other: many carry whole licences, or the same
notice under another package's name.  A repeat in training puts held-out
text into the fit, so repeats go:

  - a file whose bytes equal an earlier file's is dropped (symlinks too);
  - a paragraph (text between blank lines) already seen, compared in
    lower case with its whitespace collapsed, is dropped from its file.

Files are read in a fixed order (the licences, then the copyright files,
then the changelogs, each sorted by path), so the corpus is the same on
machines with the same packages.  A file that is not UTF-8, or cannot be read or
uncompressed, is skipped and counted.

Usage: e7-corpus.py [--about] [--no-changelogs] [DIR ...]
       (default /usr/share/common-licenses then /usr/share/doc; a DIR's
       files are DIR/*/copyright then DIR/*/changelog.Debian.gz, or its
       regular files when it holds neither).  --about prints, instead of
       the corpus, one JSON object that describes it: files read, kept,
       not UTF-8 and unreadable; paragraphs kept; words (runs split on
       whitespace); bytes; and the SHA-256 of the corpus, which names it.
       --no-changelogs leaves the changelogs out: the licences and
       copyright files alone.

Standard library only."""

import glob
import gzip
import hashlib
import json
import os
import re
import sys

PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")
# a changelog's machine-made lines: a version's header and its trailer
CHANGELOG_LINE = re.compile(r"^(?:\S.*\(.*\).*;.*urgency=.*| -- .*<.*>  .*)$",
                            re.MULTILINE)
CHANGELOG = "changelog.Debian.gz"


def files_of(d, changelogs):
    """The files of one source directory, sorted."""
    found = sorted(glob.glob(os.path.join(d, "*", "copyright")))
    if changelogs:
        found += sorted(glob.glob(os.path.join(d, "*", CHANGELOG)))
    if not found:
        found = sorted(p for p in glob.glob(os.path.join(d, "*"))
                       if os.path.isfile(p))
    return found


def main():
    args = sys.argv[1:]
    flags = set()
    while args[:1] in (["--about"], ["--no-changelogs"]):
        flags.add(args.pop(0))
    about = "--about" in flags
    dirs = args or ["/usr/share/common-licenses", "/usr/share/doc"]
    files_seen, paragraphs_seen = set(), set()
    read = kept = skipped = unreadable = paragraphs = words = size = 0
    digest = hashlib.sha256()
    out = sys.stdout.buffer
    for d in dirs:
        for path in files_of(d, "--no-changelogs" not in flags):
            read += 1
            try:
                with open(path, "rb") as f:
                    raw = f.read()
                if path.endswith(CHANGELOG):
                    raw = gzip.decompress(raw)
            except (OSError, EOFError):
                unreadable += 1
                continue
            key = hashlib.sha256(raw).digest()
            if key in files_seen:
                continue
            files_seen.add(key)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                skipped += 1
                continue
            if path.endswith(CHANGELOG):
                text = CHANGELOG_LINE.sub("", text)
            doc = []
            for p in PARAGRAPH.split(text):
                w = p.split()
                norm = " ".join(w).lower()
                if not w or norm in paragraphs_seen:
                    continue
                paragraphs_seen.add(norm)
                doc.append(" ".join(w))
                paragraphs += 1
                words += len(w)
            if doc:
                line = (" ".join(doc) + "\n").encode("utf-8")
                if not about:
                    out.write(line)
                digest.update(line)
                size += len(line)
                kept += 1
    if about:
        json.dump({"files_read": read, "files_kept": kept,
                   "not_utf8": skipped, "unreadable": unreadable, "paragraphs": paragraphs,
                   "words": words, "bytes": size,
                   "sha256": digest.hexdigest()}, sys.stdout)
        sys.stdout.write("\n")


main()
