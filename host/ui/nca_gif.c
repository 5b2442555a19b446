/* SPDX-License-Identifier: Apache-2.0 */
/* nca_gif.c - the --record GIF writer (nca_gif.h), on giflib. */
#include "nca_gif.h"

#include <errno.h>
#include <fcntl.h>
#include <gif_lib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nca_gif {
    GifFileType *f;
    char path[1024], tmp[1040];
    int renamed; /* tmp is PATH.part, renamed over path at a commit (nca_write_target) */
    unsigned width, height, scale, frames;
    uint8_t *planes; /* r, g, b planes of one frame, then its palette indices */
    GifByteType *line;
};

static nca_status gif_err(nca_gif *g, int code, const char *what, nca_error *err)
{
    const char *s = GifErrorString(code);
    return nca_fail(err, NCA_E_IO, "%s: %s: %s", g->path, what, s ? s : "giflib error");
}

nca_status nca_gif_open(nca_gif **out, const char *path, unsigned width, unsigned height,
                        unsigned scale, nca_error *err)
{
    if (scale == 0 || width * scale > 65535u || height * scale > 65535u)
        return nca_fail(err, NCA_E_ARG, "%s: a %ux%u GIF at scale %u is too large", path, width,
                        height, scale);
    nca_gif *g = calloc(1, sizeof *g);
    if (!g)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    if (strlen(path) >= sizeof g->path) {
        free(g);
        return nca_fail(err, NCA_E_ARG, "--record path too long");
    }
    snprintf(g->path, sizeof g->path, "%s", path);
    nca_status st = nca_write_target(path, g->tmp, sizeof g->tmp, &g->renamed, err);
    if (st != NCA_OK) {
        free(g);
        return st;
    }
    g->width = width;
    g->height = height;
    g->scale = scale;
    g->planes = malloc((size_t)width * height * 4);
    g->line = malloc((size_t)width * scale);
    int code = 0;
    if (!g->planes || !g->line) {
        free(g->planes);
        free(g->line);
        free(g);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    /* giflib's EGifOpenFileName creates files 0600: open it with the umask's mode instead */
    int fd = open(g->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        st = nca_fail(err, NCA_E_IO, "%s: %s", g->tmp, strerror(errno));
    } else if (!(g->f = EGifOpenFileHandle(fd, &code))) {
        close(fd);
        if (g->renamed)
            remove(g->tmp);
        st = nca_fail(err, NCA_E_IO, "%s: cannot start a GIF (%s)", g->tmp, GifErrorString(code));
    } else {
        EGifSetGifVersion(g->f, true);
        static const GifByteType loop[3] = {1, 0, 0}; /* NETSCAPE2.0: loop forever */
        if (EGifPutScreenDesc(g->f, (int)(width * scale), (int)(height * scale), 8, 0, NULL) ==
                GIF_ERROR ||
            EGifPutExtensionLeader(g->f, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
            EGifPutExtensionBlock(g->f, 11, "NETSCAPE2.0") == GIF_ERROR ||
            EGifPutExtensionBlock(g->f, 3, loop) == GIF_ERROR ||
            EGifPutExtensionTrailer(g->f) == GIF_ERROR)
            st = gif_err(g, g->f->Error, "header", err);
    }
    if (st != NCA_OK) {
        if (g->f) {
            EGifCloseFile(g->f, &code);
            if (g->renamed)
                remove(g->tmp);
        }
        free(g->planes);
        free(g->line);
        free(g);
        return st;
    }
    *out = g;
    return NCA_OK;
}

nca_status nca_gif_add(nca_gif *g, const uint8_t *rgb, nca_error *err)
{
    const size_t n = (size_t)g->width * g->height;
    uint8_t *r = g->planes, *gr = r + n, *b = gr + n, *idx = b + n;
    for (size_t i = 0; i < n; i++) {
        r[i] = rgb[i * 3];
        gr[i] = rgb[i * 3 + 1];
        b[i] = rgb[i * 3 + 2];
    }
    GifColorType pal[256];
    int colours = 256;
    if (GifQuantizeBuffer(g->width, g->height, &colours, r, gr, b, idx, pal) == GIF_ERROR)
        return nca_fail(err, NCA_E_NOMEM, "%s: colour quantisation failed", g->path);
    /* giflib's median cut works on 5 bits a primary (white comes out 248): make each entry
     * the mean of the pixels it stands for, so that white is 255 and few-colour frames exact */
    uint32_t sum[256][4];
    memset(sum, 0, sizeof sum);
    for (size_t i = 0; i < n; i++) {
        uint32_t *a = sum[idx[i]];
        a[0] += r[i];
        a[1] += gr[i];
        a[2] += b[i];
        a[3]++;
    }
    for (int k = 0; k < 256; k++)
        if (sum[k][3]) {
            const uint32_t c = sum[k][3];
            pal[k].Red = (GifByteType)((sum[k][0] + c / 2) / c);
            pal[k].Green = (GifByteType)((sum[k][1] + c / 2) / c);
            pal[k].Blue = (GifByteType)((sum[k][2] + c / 2) / c);
        }
    ColorMapObject *map = GifMakeMapObject(256, pal);
    if (!map)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    GraphicsControlBlock gcb = {DISPOSAL_UNSPECIFIED, false, NCA_GIF_DELAY_CS, NO_TRANSPARENT_COLOR};
    GifByteType ext[4];
    size_t el = EGifGCBToExtension(&gcb, ext);
    const unsigned W = g->width * g->scale, H = g->height * g->scale;
    nca_status st = NCA_OK;
    if (EGifPutExtension(g->f, GRAPHICS_EXT_FUNC_CODE, (int)el, ext) == GIF_ERROR ||
        EGifPutImageDesc(g->f, 0, 0, (int)W, (int)H, false, map) == GIF_ERROR)
        st = gif_err(g, g->f->Error, "frame", err);
    for (unsigned y = 0; y < H && st == NCA_OK; y++) {
        const uint8_t *row = idx + (size_t)(y / g->scale) * g->width;
        for (unsigned x = 0; x < W; x++)
            g->line[x] = row[x / g->scale];
        if (EGifPutLine(g->f, g->line, (int)W) == GIF_ERROR)
            st = gif_err(g, g->f->Error, "frame", err);
    }
    GifFreeMapObject(map);
    if (st == NCA_OK)
        g->frames++;
    return st;
}

unsigned nca_gif_frames(const nca_gif *g)
{
    return g->frames;
}

nca_status nca_gif_close(nca_gif *g, int commit, nca_error *err)
{
    if (!g)
        return NCA_OK;
    int code = 0;
    nca_status st = NCA_OK;
    if (EGifCloseFile(g->f, &code) == GIF_ERROR && commit)
        st = nca_fail(err, NCA_E_IO, "%s: %s", g->tmp, GifErrorString(code));
    if (commit && st == NCA_OK && g->frames == 0)
        st = nca_fail(err, NCA_E_ARG, "%s: no frame was drawn, nothing recorded", g->path);
    if (commit && st == NCA_OK && g->renamed && rename(g->tmp, g->path) != 0)
        st = nca_fail(err, NCA_E_IO, "%s: cannot rename %s into place", g->path, g->tmp);
    if ((!commit || st != NCA_OK) && g->renamed)
        remove(g->tmp);
    free(g->planes);
    free(g->line);
    free(g);
    return st;
}
