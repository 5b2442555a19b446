/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_model.c - libFuzzer target: the model loader (nca_model_parse, the .bin format).
 * Each input is parsed as it is, and again with its size field and CRC-32 made right (so the
 * fuzzer gets past the checksum to the fields). A file that parses must validate, serialise
 * and parse back to the same bytes, and run two steps of an 8x8 grid with the AVX2 MLP and
 * with the portable one to the same state (UBSan watches the arithmetic of every legal
 * model). */
#include "nca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_model: %s\n", what);
        abort();
    }
}

static void one(const uint8_t *data, size_t size)
{
    static nca_model m, m2;
    static uint8_t b1[65536], b2[65536]; /* a model file is at most ~12 KB */
    nca_error e = {""};
    if (nca_model_parse(data, size, &m, &e) != NCA_OK) {
        check(e.msg[0] != '\0', "an error without a message");
        return;
    }
    check(nca_model_validate(&m, &e) == NCA_OK, "a parsed model does not validate");
    size_t n1 = 0, n2 = 0;
    check(nca_model_serialize(&m, b1, sizeof b1, &n1, &e) == NCA_OK, "serialize failed");
    check(n1 == nca_model_file_size(&m), "serialised size differs from nca_model_file_size");
    check(nca_model_parse(b1, n1, &m2, &e) == NCA_OK, "the serialised model does not parse");
    check(nca_model_serialize(&m2, b2, sizeof b2, &n2, &e) == NCA_OK && n1 == n2 &&
              memcmp(b1, b2, n1) == 0,
          "serialise -> parse -> serialise changed the bytes");

    nca_grid g[2];
    nca_workspace ws[2];
    for (int k = 0; k < 2; k++) {
        check(nca_grid_init(&g[k], &m, 8, 8, 7, 0, &e) == NCA_OK, "grid");
        g[k].boundary = m.boundary;
        check(nca_grid_seed(&g[k], 4, 4, &e) == NCA_OK, "seed");
        check(nca_workspace_init(&ws[k], &g[k], &e) == NCA_OK, "workspace");
        ws[k].simd_max = k ? NCA_SIMD_NONE : NCA_SIMD_AVX512;
        for (int s = 0; s < 2; s++)
            nca_step_fixed(&m, &g[k], &ws[k], NULL);
    }
    check(memcmp(g[0].s, g[1].s, 8 * 8 * m.channels * sizeof g[0].s[0]) == 0,
          "the fastest and the portable MLP disagree");
    for (int k = 0; k < 2; k++) {
        nca_workspace_free(&ws[k]);
        nca_grid_free(&g[k]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t fixed[65536];
    one(data, size);
    if (size >= 16 && size <= sizeof fixed) { /* size field (bytes 8..11) and CRC made right */
        memcpy(fixed, data, size);
        fixed[8] = (uint8_t)size;
        fixed[9] = (uint8_t)(size >> 8);
        fixed[10] = (uint8_t)(size >> 16);
        fixed[11] = (uint8_t)(size >> 24);
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), fixed, (uInt)(size - 4));
        for (int i = 0; i < 4; i++)
            fixed[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
        one(fixed, size);
    }
    return 0;
}
