/* zstd round trip: a real C library (zstd 1.5, the single-file zstd.c of the PyPI `zstandard`
 * sdist) compiled to wasm32-wasi.
 *
 *   zstd_roundtrip IN OUTDIR
 *
 * Reads IN; one-shot compresses it at levels 1, 3 and 9 (with ZSTD_compress, frame content size
 * known) and checks each with ZSTD_decompress; then streams it (ZSTD_compressStream2, 3000-byte
 * input chunks, checksum flag on) into OUTDIR/IN.zst with fwrite, streams that file back through
 * ZSTD_decompressStream with fread into OUTDIR/copy.out, and verifies the copy. Prints sizes and
 * checksums; exits 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include "zstd.h"

static void die(const char *what) {
    fprintf(stderr, "zstd_roundtrip: %s (errno %d: %s)\n", what, errno, strerror(errno));
    exit(1);
}

static uint32_t fnv1a(const unsigned char *p, size_t n) {
    uint32_t h = 2166136261u;
    while (n--) h = (h ^ *p++) * 16777619u;
    return h;
}

static unsigned char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open input");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {       /* grows with realloc: no fseek, a different path through stdio than lz4's */
        if (len == cap) {
            cap = cap ? cap * 2 : 1024;
            buf = realloc(buf, cap);
            if (!buf) die("realloc");
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    if (ferror(f)) die("read error");
    fclose(f);
    *size = len;
    return buf;
}

#define CHECK(call) do { size_t r_ = (call); if (ZSTD_isError(r_)) { \
    printf("%s: %s\n", #call, ZSTD_getErrorName(r_)); return 1; } } while (0)

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: zstd_roundtrip IN OUTDIR\n");
        return 2;
    }
    size_t n;
    unsigned char *src = read_all(argv[1], &n);
    printf("zstd %s, input %zu bytes, fnv1a %08x\n", ZSTD_versionString(), n, fnv1a(src, n));

    size_t bound = ZSTD_compressBound(n);
    unsigned char *comp = malloc(bound), *back = malloc(n + 1);
    static const int levels[] = {1, 3, 9};
    for (int i = 0; i < 3; i++) {
        size_t c = ZSTD_compress(comp, bound, src, n, levels[i]);
        if (ZSTD_isError(c)) { printf("compress: %s\n", ZSTD_getErrorName(c)); return 1; }
        unsigned long long content = ZSTD_getFrameContentSize(comp, c);
        size_t d = ZSTD_decompress(back, n + 1, comp, c);
        int ok = !ZSTD_isError(d) && d == n && content == n && !memcmp(back, src, n);
        printf("level %d: %zu -> %zu bytes, fnv1a %08x, %s\n", levels[i], n, c, fnv1a(comp, c),
               ok ? "ok" : "MISMATCH");
        if (!ok) return 1;
    }

    char path[512], copy[512];
    const char *base = strrchr(argv[1], '/');
    base = base ? base + 1 : argv[1];
    snprintf(path, sizeof path, "%s/%s.zst", argv[2], base);
    snprintf(copy, sizeof copy, "%s/copy.out", argv[2]);

    /* streaming compression, size unknown to the encoder */
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    CHECK(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 5));
    CHECK(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1));
    CHECK(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 17));
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot create .zst");
    size_t outcap = ZSTD_CStreamOutSize(), total = 0;
    unsigned char *out = malloc(outcap);
    for (size_t off = 0;;) {
        size_t len = n - off < 3000 ? n - off : 3000;
        int last = off + len == n;
        ZSTD_inBuffer in = {src + off, len, 0};
        size_t remaining;
        do {
            ZSTD_outBuffer ob = {out, outcap, 0};
            remaining = ZSTD_compressStream2(cctx, &ob, &in, last ? ZSTD_e_end : ZSTD_e_continue);
            if (ZSTD_isError(remaining)) { printf("stream: %s\n", ZSTD_getErrorName(remaining)); return 1; }
            if (fwrite(out, 1, ob.pos, f) != ob.pos) die("fwrite");
            total += ob.pos;
        } while (last ? remaining != 0 : in.pos != in.size);
        off += len;
        if (last) break;
    }
    if (fclose(f) != 0) die("fclose");
    ZSTD_freeCCtx(cctx);

    /* streaming decompression from the file */
    f = fopen(path, "rb");
    if (!f) die("cannot reopen .zst");
    FILE *o = fopen(copy, "wb");
    if (!o) die("cannot create copy");
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t incap = ZSTD_DStreamInSize(), got, last_ret = 1;
    unsigned char *inbuf = malloc(incap), *outbuf = malloc(ZSTD_DStreamOutSize());
    while ((got = fread(inbuf, 1, incap, f)) > 0) {
        ZSTD_inBuffer in = {inbuf, got, 0};
        while (in.pos < in.size) {
            ZSTD_outBuffer ob = {outbuf, ZSTD_DStreamOutSize(), 0};
            last_ret = ZSTD_decompressStream(dctx, &ob, &in);
            if (ZSTD_isError(last_ret)) { printf("dstream: %s\n", ZSTD_getErrorName(last_ret)); return 1; }
            fwrite(outbuf, 1, ob.pos, o);
        }
    }
    fclose(f);
    if (fclose(o) != 0) die("fclose copy");
    ZSTD_freeDCtx(dctx);
    size_t m;
    unsigned char *again = read_all(copy, &m);
    int ok = last_ret == 0 && m == n && !memcmp(again, src, n);
    printf("stream: %zu -> %zu bytes in %s, back %zu bytes, fnv1a %08x, %s\n", n, total, path, m,
           fnv1a(again, m), ok ? "ok" : "MISMATCH");
    return ok ? 0 : 1;
}
