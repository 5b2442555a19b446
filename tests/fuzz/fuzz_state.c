/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_state.c - libFuzzer target: the state-file loader (nca_state_parse, `--load-state`).
 * The grid is made to the size the header claims (up to 64x64, so that a file can match):
 * a file that parses must leave a grid that saves back to the same bytes; one that does not
 * must leave the grid as it was (all-or-nothing). Each input is parsed as it is and again
 * with its CRC-32 made right (so the fuzzer gets past the checksum to the fields). */
#include "nca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_state: %s\n", what);
        abort();
    }
}

static unsigned rd16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void one(const uint8_t *data, size_t size)
{
    static nca_model m; /* only channels and state_frac matter to a grid */
    unsigned w = 8, h = 8;
    m.channels = 16;
    m.state_frac = 11;
    if (size >= 12) { /* the header's size and format, where they are legal */
        if (rd16(data + 6) >= 3 && rd16(data + 6) <= 64 && rd16(data + 8) >= 3 &&
            rd16(data + 8) <= 64) {
            w = rd16(data + 6);
            h = rd16(data + 8);
        }
        if (data[10] >= 4 && data[10] <= NCA_MAX_CHANNELS)
            m.channels = data[10];
        if (data[11] >= 4 && data[11] <= 14)
            m.state_frac = data[11];
    }
    nca_error e = {""};
    nca_grid g;
    check(nca_grid_init(&g, &m, w, h, 1, size % 2, &e) == NCA_OK, "grid");
    const size_t words = (size_t)w * h * m.channels;
    for (size_t i = 0; i < words; i++)
        g.s[i] = (int16_t)(i * 40503u);
    g.step = 77;
    if (nca_state_parse(data, size, "fuzz", &g, &e) != NCA_OK) {
        check(e.msg[0] != '\0', "an error without a message");
        for (size_t i = 0; i < words; i++)
            check(g.s[i] == (int16_t)(i * 40503u), "a failed parse changed the grid");
        check(g.step == 77, "a failed parse changed the step count");
    } else {
        char path[] = "/tmp/fuzz_state.XXXXXX";
        int fd = mkstemp(path);
        check(fd >= 0, "mkstemp");
        close(fd);
        check(nca_state_save(path, &g, &e) == NCA_OK, "save");
        FILE *f = fopen(path, "rb");
        check(f != NULL, "reopen");
        uint8_t *back = malloc(size + 1);
        check(back != NULL, "malloc");
        size_t n = fread(back, 1, size + 1, f);
        fclose(f);
        unlink(path);
        check(n == size && memcmp(back, data, size) == 0, "parse -> save changed the bytes");
        free(back);
    }
    nca_grid_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    if (size >= 28) {
        uint8_t *fixed = malloc(size);
        check(fixed != NULL, "malloc");
        memcpy(fixed, data, size);
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), fixed, (uInt)(size - 4));
        for (int i = 0; i < 4; i++)
            fixed[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
        one(fixed, size);
        free(fixed);
    }
    return 0;
}
