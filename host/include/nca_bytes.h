/* SPDX-License-Identifier: Apache-2.0 */
/* nca_bytes.h - little-endian fields of the library's byte formats (model files, state
 * files, link packets): read and write 16 and 32 bits at any alignment. Internal to the
 * library (host/src/); static inline, so it needs no object of its own. */
#ifndef NCA_BYTES_H
#define NCA_BYTES_H

#include <stdint.h>

static inline uint16_t nca_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t nca_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void nca_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void nca_wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
