# Builds and discards large dicts and lists; prints only what does not
# depend on addresses or hash seeds.
import hashlib

digest = hashlib.sha256()
for round_ in range(6):
    d = {("key%d" % i): [i, str(i) * (i % 7), {"n": i}] for i in range(60000 + round_ * 5000)}
    l = [x * x for x in range(200000)]
    s = {frozenset((i, i + 1)) for i in range(20000)}
    words = sorted(d, key=lambda k: (len(d[k][1]), k))[:5]
    digest.update(repr((len(d), sum(l), len(s), words)).encode())
    blob = [bytes(i % 256 for _ in range(i % 300)) for i in range(20000)]
    digest.update(b"".join(blob[::97]))
    del d, l, s, blob
print("python:", digest.hexdigest())
