"""E7's corpus at scale: the licences of /usr/share/common-licenses and
every /usr/share/doc/*/copyright file of the machine, one document a line
on stdout, whitespace runs as single spaces.

Copyright files repeat each other: many carry whole licences, or the same
notice under another package's name.  A repeat in training puts held-out
text into the fit, so repeats go:

  - a file whose bytes equal an earlier file's is dropped (symlinks too);
  - a paragraph (text between blank lines) already seen, compared in
    lower case with its whitespace collapsed, is dropped from its file.

Files are read in a fixed order (the licences, then the copyright files,
each sorted by path), so the corpus is the same on machines with the
same packages.  A file that is not UTF-8 is skipped and counted.

Usage: e7-corpus.py [--about] [DIR ...]
       (default /usr/share/common-licenses then /usr/share/doc; a DIR's
       files are DIR/*/copyright, or its regular files when it holds no
       such file).  --about prints, instead of the corpus, one JSON object
       that describes it: files read, kept and not UTF-8; paragraphs
       kept; words (runs split on whitespace); bytes; and the SHA-256 of
       the corpus, which names it.

Standard library only."""

import glob
import hashlib
import json
import os
import re
import sys

PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")


def files_of(d):
    """The files of one source directory, sorted."""
    found = sorted(glob.glob(os.path.join(d, "*", "copyright")))
    if not found:
        found = sorted(p for p in glob.glob(os.path.join(d, "*"))
                       if os.path.isfile(p))
    return found


def main():
    args = sys.argv[1:]
    about = args[:1] == ["--about"]
    dirs = args[about:] or ["/usr/share/common-licenses", "/usr/share/doc"]
    files_seen, paragraphs_seen = set(), set()
    read = kept = skipped = paragraphs = words = size = 0
    digest = hashlib.sha256()
    out = sys.stdout.buffer
    for d in dirs:
        for path in files_of(d):
            read += 1
            with open(path, "rb") as f:
                raw = f.read()
            key = hashlib.sha256(raw).digest()
            if key in files_seen:
                continue
            files_seen.add(key)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                skipped += 1
                continue
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
                   "not_utf8": skipped, "paragraphs": paragraphs,
                   "words": words, "bytes": size,
                   "sha256": digest.hexdigest()}, sys.stdout)
        sys.stdout.write("\n")


main()
