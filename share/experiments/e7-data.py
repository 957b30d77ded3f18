"""E7's prompts and human continuations, from documents (one a line) on
stdin, cut exactly as the toolkit's options in E7_SPLIT and E7_TEST of
e7.mk cut them (ccmc-estimate(1), "How words are cut"):

  --lower         ASCII A-Z as a-z
  --punct drop    words are runs of ASCII letters and digits and of
                  characters beyond ASCII, an apostrophe between two of them
                  kept inside; every other character separates words
  --chunk CHUNK   pieces of CHUNK words, numbered from 0 over the input
                  (CHUNK: 96, or the environment's E7_CHUNK)
  --pieces 5/5    the held-out pieces: number k with k % 5 == 4

Prints one part on stdout:

  prompts P C      the first P words of each held-out piece of at least
                   P + C words, as prompt records (string tokens)
  human P C MODEL  the next C words of each of those pieces, one per line,
                   words outside MODEL's vocabulary (a ccmc record) written
                   as <unk>, as the models see them
  steps            the number of steps in the held-out pieces (a piece of
                   n words has n - 1), which the reducer checks against
                   ccmc-estimate's count: the two cut alike

Standard library only."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt

CHUNK = int(os.environ.get("E7_CHUNK", "96"))
WORD = re.compile(r"(?:[A-Za-z0-9]|[^\x00-\x7f])+(?:'(?:[A-Za-z0-9]|[^\x00-\x7f])+)*")


def held_out():
    """The held-out pieces, in order."""
    k = 0
    for line in sys.stdin.buffer:
        text = line.decode("utf-8")
        text = "".join(c.lower() if "A" <= c <= "Z" else c for c in text)
        words = WORD.findall(text)
        for i in range(0, len(words), CHUNK):
            if k % 5 == 4:
                yield words[i:i + CHUNK]
            k += 1


def main():
    a = sys.argv[1:]
    out = sys.stdout
    if a and a[0] == "steps" and len(a) == 1:
        out.write("%d\n" % sum(len(w) - 1 for w in held_out() if len(w) >= 2))
    elif a and a[0] == "prompts" and len(a) == 3:
        p, c = int(a[1]), int(a[2])
        for w in held_out():
            if len(w) >= p + c:
                out.write(json.dumps({"type": "prompt", "prompt": w[:p]}) + "\n")
    elif a and a[0] == "human" and len(a) == 4:
        p, c = int(a[1]), int(a[2])
        vocab = set(expt.one_without(a[3], "ccmc", expt.MODEL_ARRAYS)["vocab"])
        for w in held_out():
            if len(w) >= p + c:
                out.write(" ".join(x if x in vocab else "<unk>"
                                   for x in w[p:p + c]) + "\n")
    else:
        sys.exit("usage: e7-data.py steps | prompts P C | human P C MODEL")


main()
