/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.h - helpers shared by the cmocka unit tests (tests/c/test_*.c).
 *
 * Tests run from the repository root (make test); NCA_ROOT overrides that. They use only
 * files inside the repository (weights/distill/, weights/targets/), never ../shared.
 * Everything here is static inline so a test that uses a part of it builds warning-free.
 */
#ifndef NCA_TEST_UTIL_H
#define NCA_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nca.h"

#define TU_REGEN_LIZARD "weights/distill/ex3-regen-lizard.bin"
#define TU_PERSIST_LIZARD "weights/distill/ex2-persist-lizard.bin"
#define TU_DISTILL_SIZE 9104u

/* Repository-relative path -> usable path (NCA_ROOT/rel, or rel). buf has cap bytes. */
static inline const char *tu_path(char *buf, size_t cap, const char *rel)
{
    const char *root = getenv("NCA_ROOT");
    if (!root || !*root)
        root = ".";
    int n = snprintf(buf, cap, "%s/%s", root, rel);
    assert_true(n > 0 && (size_t)n < cap);
    return buf;
}

/* Reads a whole repository file into a malloc'ed buffer (exactly *len bytes, at least 1). */
static inline uint8_t *tu_read_file(const char *rel, size_t *len)
{
    char path[4096];
    FILE *f = fopen(tu_path(path, sizeof path, rel), "rb");
    if (!f)
        fail_msg("cannot open %s (run the tests from the repository root or set NCA_ROOT)", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1u);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Loads a repository model into a heap nca_model (caller frees). */
static inline nca_model *tu_load_model(const char *rel)
{
    char path[4096];
    nca_error e = {""};
    nca_model *m = malloc(sizeof *m);
    assert_non_null(m);
    nca_status st = nca_model_load(tu_path(path, sizeof path, rel), m, &e);
    if (st != NCA_OK)
        fail_msg("loading %s: %s", path, e.msg);
    return m;
}

static inline nca_model *tu_load_regen_lizard(void)
{
    return tu_load_model(TU_REGEN_LIZARD);
}

/* A one-line error message: non-empty, no newline, NUL inside the buffer. */
static inline int tu_one_line(const nca_error *e)
{
    size_t n = strnlen(e->msg, sizeof e->msg);
    return n > 0 && n < sizeof e->msg && strchr(e->msg, '\n') == NULL;
}
#define assert_one_line(e)                                                                     \
    do {                                                                                       \
        if (!tu_one_line(e))                                                                   \
            fail_msg("error message is not one non-empty line: '%s'", (e)->msg);               \
    } while (0)

/* A fresh temporary file name (the file exists, empty); caller unlinks. */
static inline void tu_tmpname(char *buf, size_t cap, const char *tag)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int n = snprintf(buf, cap, "%s/nca-test-%s-XXXXXX", dir, tag);
    assert_true(n > 0 && (size_t)n < cap);
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
}

/* Deterministic xorshift64* generator for test data. */
typedef struct tu_rng {
    uint64_t s;
} tu_rng;
static inline uint64_t tu_next(tu_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}
/* Uniform in [lo, hi] (hi - lo < 2^63). */
static inline int64_t tu_range(tu_rng *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1u;
    return lo + (int64_t)(span ? tu_next(r) % span : tu_next(r));
}

/* A grid for model m, seeded at the given cells (exits the test on failure). */
static inline void tu_grid(nca_grid *g, const nca_model *m, unsigned w, unsigned h,
                           uint32_t seed, int with_float)
{
    nca_error e = {""};
    if (nca_grid_init(g, m, w, h, seed, with_float, &e) != NCA_OK)
        fail_msg("nca_grid_init: %s", e.msg);
}
static inline void tu_workspace(nca_workspace *ws, const nca_grid *g)
{
    nca_error e = {""};
    if (nca_workspace_init(ws, g, &e) != NCA_OK)
        fail_msg("nca_workspace_init: %s", e.msg);
}
static inline size_t tu_words(const nca_grid *g)
{
    return (size_t)g->width * g->height * g->channels;
}

#endif
