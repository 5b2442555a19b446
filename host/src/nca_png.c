/* SPDX-License-Identifier: Apache-2.0 */
/* nca_png.c - RGBA8 PNG read/write through libpng's simplified API. */
#include "nca.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

nca_status nca_png_write(const char *path, const uint8_t *rgba, unsigned w, unsigned h,
                         nca_error *err)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = w;
    img.height = h;
    img.format = PNG_FORMAT_RGBA;
    png_alloc_size_t len = 0; /* encode in memory (size first), then replace the file whole */
    if (!png_image_write_to_memory(&img, NULL, &len, 0, rgba, 0, NULL))
        return nca_fail(err, NCA_E_IO, "%s: PNG encoding failed: %s", path, img.message);
    void *mem = malloc(len);
    if (!mem)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    nca_status st = NCA_OK;
    if (!png_image_write_to_memory(&img, mem, &len, 0, rgba, 0, NULL))
        st = nca_fail(err, NCA_E_IO, "%s: PNG encoding failed: %s", path, img.message);
    else
        st = nca_write_file(path, mem, len, err);
    free(mem);
    return st;
}

nca_status nca_png_read(const char *path, uint8_t **rgba, unsigned *w, unsigned *h,
                        nca_error *err)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path))
        return nca_fail(err, NCA_E_IO, "%s: cannot read PNG: %s", path, img.message);
    img.format = PNG_FORMAT_RGBA;
    if (img.width > NCA_MAX_GRID || img.height > NCA_MAX_GRID) {
        png_image_free(&img);
        return nca_fail(err, NCA_E_ARG, "%s: %ux%u image too large", path, img.width,
                        img.height);
    }
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    if (!buf) {
        png_image_free(&img);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
        free(buf);
        return nca_fail(err, NCA_E_FORMAT, "%s: PNG decode failed: %s", path, img.message);
    }
    *rgba = buf;
    *w = img.width;
    *h = img.height;
    return NCA_OK;
}
