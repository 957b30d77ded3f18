"""E7's text: the licence texts every Debian system ships in
/usr/share/common-licenses (package base-files), lower-cased and cut into
words (letters, with an inner apostrophe), each licence cut into chunks of
CHUNK words; every fifth chunk is held out, the others are training
documents.  Prints one part on stdout:

  train            training chunks, one document per line
  heldout          held-out chunks, one per line
  prompts          the first PROMPT words of each held-out chunk, as prompt
                   records (string tokens)
  human C MODEL    the next C words of each held-out chunk, one per line,
                   words outside MODEL's vocabulary (a ccmc record) written
                   as <unk>, as the models see them

Standard library only."""

import json
import os
import re
import sys

DIR = "/usr/share/common-licenses"
# Distinct texts only: symlinks (GPL -> GPL-3, ...) and near-copies
# (GFDL-1.2, LGPL-2, GPL-1) would put held-out text into training.
FILES = ["Apache-2.0", "Artistic", "BSD", "CC0-1.0", "GFDL-1.3", "GPL-2",
         "GPL-3", "LGPL-2.1", "LGPL-3", "MPL-1.1", "MPL-2.0"]
CHUNK = 96
PROMPT = 32
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def chunks():
    """(held out?, words) for every chunk, in a fixed order."""
    for name in FILES:
        path = os.path.join(DIR, name)
        if not os.path.exists(path):
            sys.exit("e7-data: %s is missing (package base-files)" % path)
        with open(path, encoding="utf-8", errors="replace") as f:
            words = WORD.findall(f.read().lower())
        for n, i in enumerate(range(0, len(words) - CHUNK + 1, CHUNK)):
            yield n % 5 == 4, words[i:i + CHUNK]


def main():
    part = sys.argv[1] if len(sys.argv) > 1 else ""
    out = sys.stdout
    if part == "train":
        for held, w in chunks():
            if not held:
                out.write(" ".join(w) + "\n")
    elif part == "heldout":
        for held, w in chunks():
            if held:
                out.write(" ".join(w) + "\n")
    elif part == "prompts":
        for held, w in chunks():
            if held:
                out.write(json.dumps({"type": "prompt",
                                      "prompt": w[:PROMPT]}) + "\n")
    elif part == "human" and len(sys.argv) == 4:
        c = int(sys.argv[2])
        with open(sys.argv[3]) as f:
            vocab = set(json.loads(f.readline())["vocab"])
        for held, w in chunks():
            if held:
                cont = w[PROMPT:PROMPT + c]
                out.write(" ".join(x if x in vocab else "<unk>"
                                   for x in cont) + "\n")
    else:
        sys.exit("usage: e7-data.py train|heldout|prompts|human C MODEL")


main()
