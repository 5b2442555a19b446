/* SPDX-License-Identifier: Apache-2.0 */
/* nca_view.c - what the views and the recorder share: compositing and scaling (nca_view.h). */
#include "nca_view.h"

void nca_compose(const uint8_t *rgba, size_t cells, uint8_t *rgb)
{
    for (size_t i = 0; i < cells; i++) {
        const unsigned bg = 255u - rgba[i * 4 + 3];
        for (unsigned c = 0; c < 3; c++) {
            unsigned v = rgba[i * 4 + c] + bg;
            rgb[i * 3 + c] = (uint8_t)(v > 255u ? 255u : v);
        }
    }
}

unsigned nca_view_scale(unsigned width, unsigned height)
{
    unsigned side = width > height ? width : height;
    unsigned s = (640u + side / 2u) / side;
    while (s > 1 && side * s > 768u)
        s--;
    return s ? s : 1;
}

void nca_upscale(const uint8_t *rgb, unsigned width, unsigned height, unsigned scale,
                 uint8_t *out)
{
    const unsigned W = width * scale;
    for (unsigned y = 0; y < height * scale; y++) {
        const uint8_t *src = rgb + (size_t)(y / scale) * width * 3;
        uint8_t *dst = out + (size_t)y * W * 3;
        for (unsigned x = 0; x < W; x++) {
            const uint8_t *p = src + (x / scale) * 3;
            dst[x * 3] = p[0];
            dst[x * 3 + 1] = p[1];
            dst[x * 3 + 2] = p[2];
        }
    }
}
