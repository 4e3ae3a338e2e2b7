/* lz4 round trip: a real C library (lz4 from the PyPI `lz4` sdist) compiled to wasm32-wasi.
 *
 *   lz4_roundtrip IN OUTDIR
 *
 * Reads IN, compresses it with the block API (fast and HC) and the frame API (streamed to
 * OUTDIR/IN.lz4 with fwrite in chunks), reads the frame back with fread, decompresses it
 * chunk by chunk, verifies every result and writes the decompressed copy to OUTDIR/copy.out.
 * Prints sizes and XXH32/XXH64 checksums; exits 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "lz4.h"
#include "lz4hc.h"
#include "lz4frame.h"
#include "xxhash.h"

static void die(const char *what) {
    fprintf(stderr, "lz4_roundtrip: %s (errno %d: %s)\n", what, errno, strerror(errno));
    exit(1);
}

static unsigned char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open input");
    if (fseek(f, 0, SEEK_END) != 0) die("fseek");
    long n = ftell(f);
    if (n < 0) die("ftell");
    rewind(f);
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) die("malloc");
    if (fread(buf, 1, n, f) != (size_t)n) die("short read");
    fclose(f);
    *size = (size_t)n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: lz4_roundtrip IN OUTDIR\n");
        return 2;
    }
    size_t n;
    unsigned char *src = read_all(argv[1], &n);
    printf("lz4 %s, input %zu bytes, xxh32 %08x, xxh64 %016llx\n", LZ4_versionString(), n,
           XXH32(src, n, 0), (unsigned long long)XXH64(src, n, 0));

    /* block API, fast and HC */
    int bound = LZ4_compressBound((int)n);
    char *comp = malloc(bound), *back = malloc(n + 1);
    for (int level = 0; level <= 9; level += 9) {
        int c = level ? LZ4_compress_HC((const char *)src, comp, (int)n, bound, level)
                      : LZ4_compress_default((const char *)src, comp, (int)n, bound);
        if (c <= 0) { printf("block compress failed\n"); return 1; }
        int d = LZ4_decompress_safe(comp, back, c, (int)n);
        printf("block %s: %d -> %d bytes, xxh32 %08x, %s\n", level ? "hc9" : "fast", (int)n, c,
               XXH32(comp, c, 0), d == (int)n && !memcmp(back, src, n) ? "ok" : "MISMATCH");
        if (d != (int)n || memcmp(back, src, n)) return 1;
    }

    /* frame API: compress in 4 KiB chunks into a file */
    char path[512], copy[512];
    const char *base = strrchr(argv[1], '/');
    base = base ? base + 1 : argv[1];
    snprintf(path, sizeof path, "%s/%s.lz4", argv[2], base);
    snprintf(copy, sizeof copy, "%s/copy.out", argv[2]);
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    prefs.compressionLevel = 4;
    LZ4F_cctx *cctx;
    if (LZ4F_isError(LZ4F_createCompressionContext(&cctx, LZ4F_VERSION))) return 1;
    size_t cap = LZ4F_compressBound(4096, &prefs) + 64;
    unsigned char *out = malloc(cap);
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot create frame file");
    size_t w = LZ4F_compressBegin(cctx, out, cap, &prefs), total = 0;
    if (LZ4F_isError(w)) return 1;
    fwrite(out, 1, w, f);
    total += w;
    for (size_t off = 0; off < n; off += 4096) {
        size_t len = n - off < 4096 ? n - off : 4096;
        w = LZ4F_compressUpdate(cctx, out, cap, src + off, len, NULL);
        if (LZ4F_isError(w)) { printf("frame: %s\n", LZ4F_getErrorName(w)); return 1; }
        if (fwrite(out, 1, w, f) != w) die("fwrite");
        total += w;
    }
    w = LZ4F_compressEnd(cctx, out, cap, NULL);
    fwrite(out, 1, w, f);
    total += w;
    if (fclose(f) != 0) die("fclose");
    LZ4F_freeCompressionContext(cctx);

    /* read the frame back 1000 bytes at a time and decompress it */
    f = fopen(path, "rb");
    if (!f) die("cannot reopen frame file");
    FILE *o = fopen(copy, "wb");
    if (!o) die("cannot create copy");
    LZ4F_dctx *dctx;
    LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION);
    unsigned char inbuf[1000], outbuf[8192];
    size_t got, produced = 0, ret = 1;
    while ((got = fread(inbuf, 1, sizeof inbuf, f)) > 0) {
        size_t pos = 0;
        while (pos < got) {
            size_t sn = got - pos, dn = sizeof outbuf;
            ret = LZ4F_decompress(dctx, outbuf, &dn, inbuf + pos, &sn, NULL);
            if (LZ4F_isError(ret)) { printf("decompress: %s\n", LZ4F_getErrorName(ret)); return 1; }
            fwrite(outbuf, 1, dn, o);
            produced += dn;
            pos += sn;
        }
    }
    fclose(f);
    fclose(o);
    LZ4F_freeDecompressionContext(dctx);
    size_t m;
    unsigned char *again = read_all(copy, &m);
    int ok = ret == 0 && m == n && produced == n && !memcmp(again, src, n);
    printf("frame: %zu -> %zu bytes in %s, back %zu bytes, xxh64 %016llx, %s\n", n, total, path,
           m, (unsigned long long)XXH64(again, m, 0), ok ? "ok" : "MISMATCH");
    return ok ? 0 : 1;
}
