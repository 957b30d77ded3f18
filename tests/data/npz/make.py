# How the .npz files here were made: numpy's own np.savez and
# np.savez_compressed (numpy 1.24, python 3.11's zipfile), from model.json
# (attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3
# --seed 3).  The tests only read them: numpy need not be installed.
#   cd tests/data/npz && /usr/bin/python3 make.py
import io, json, zipfile
import numpy as np

m = json.loads(open("model.json").readline())
arrs = {"E": np.array(m["E"]), "W": np.asfortranarray(m["W"]),
        "C": np.array(m["C"]), "R": np.array(m["pos"]["R"])}
np.savez("savez.npz", **arrs)
np.savez_compressed("compressed.npz", **arrs)


class Stream(io.RawIOBase):
    """A file that cannot seek (a pipe): zipfile writes data descriptors."""
    def __init__(self, path): self.f = open(path, "wb")
    def writable(self): return True
    def write(self, b): return self.f.write(b)
    def seekable(self): return False
    def close(self): self.f.close(); super().close()


s = Stream("stream.npz"); np.savez_compressed(s, **arrs); s.close()
s = Stream("stream-stored.npz"); np.savez(s, **arrs); s.close()
# what numpy writes for archives over 2 GiB (zipfile.ZIP64_LIMIT), made
# small: ZIP64 sizes in the central directory, the ZIP64 end record
limit, zipfile.ZIP64_LIMIT = zipfile.ZIP64_LIMIT, 100
np.savez_compressed("zip64.npz", **arrs)
zipfile.ZIP64_LIMIT = limit
# lower precisions, headless: E and W only; r*.json hold what they hold
for t in ("float32", "float16"):
    small = {"E": arrs["E"].astype(t), "W": arrs["W"].astype(t)}
    np.savez(t + ".npz", **small)
    np.savez_compressed(t + "-compressed.npz", **small)
    json.dump({"type": "attn-model", "K": 6, "d": 9, "C": None,
               "E": small["E"].astype("float64").tolist(),
               "W": small["W"].astype("float64").tolist(), "pos": None},
              open(t + ".json", "w"))
    open(t + ".json", "a").write("\n")
