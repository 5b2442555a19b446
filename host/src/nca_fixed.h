/* SPDX-License-Identifier: Apache-2.0 */
/* nca_fixed.h - the spec's rounding shift (docs/fixed-point.md), inline for the step's inner
 * loops; nca_rshift_round (nca.h) is the exported name of the same function. */
#ifndef NCA_FIXED_H
#define NCA_FIXED_H

#include <stdint.h>

/* floor(v / 2^sh) without relying on >> of negative values (implementation-defined in C) */
static inline int64_t nca_fx_asr64(int64_t v, unsigned sh)
{
    return v < 0 ? ~(~v >> sh) : v >> sh;
}

/* floor((v + 2^(sh-1)) / 2^sh), computed as floor(v / 2^sh) + bit (sh-1) of v: never overflows */
static inline int32_t nca_fx_rshift_round(int64_t v, unsigned sh)
{
    if (sh == 0)
        return (int32_t)v;
    return (int32_t)(nca_fx_asr64(v, sh) + (nca_fx_asr64(v, sh - 1) & 1));
}

#endif
