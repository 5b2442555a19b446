/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_icarus.c - vectors for the Icarus bench (tb_icarus.v): the command stream that loads
 * a model into nca_core, clears, seeds the centre and steps N times; the cycle count the C
 * cycle model predicts for every step; and the expected final state, taken from a state file
 * written by `nca-host --save-state` (cross-checked here against nca_step_fixed).
 *
 * usage: gen_icarus MODEL STATE_FILE STEPS LANES OUTDIR
 * writes OUTDIR/cmds.hex (one command per line: op, a, b, c, cell), OUTDIR/cycles.hex,
 * OUTDIR/expected.hex (one cell per line, channel 0 in the low bits), OUTDIR/meta.hex
 * (number of commands, steps, width, height).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nca.h"
#include "nca_cycles.h"

static FILE *cmds;
static unsigned ncmds;

static void cmd(unsigned op, uint32_t a, uint32_t b, uint32_t c)
{
    /* 8-bit op, three 32-bit words, a 256-bit cell (unused here) */
    fprintf(cmds, "%02x%08x%08x%08x%064x\n", op, a, b, c, 0);
    ncmds++;
}

static void cell_hex(FILE *f, const int16_t *s, unsigned C)
{
    for (unsigned k = 16; k-- > 0;)
        fprintf(f, "%04x", k < C ? (unsigned)(uint16_t)s[k] : 0u);
    fputc('\n', f);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: gen_icarus MODEL STATE_FILE STEPS LANES OUTDIR\n");
        return 1;
    }
    const unsigned steps = (unsigned)atoi(argv[3]), lanes = (unsigned)atoi(argv[4]);
    nca_error err;
    static nca_model m;
    if (nca_model_load(argv[1], &m, &err) != NCA_OK) {
        fprintf(stderr, "gen_icarus: %s\n", err.msg);
        return 1;
    }
    /* the state file's header gives the grid, seed and boundary */
    FILE *sf = fopen(argv[2], "rb");
    uint8_t hdr[24];
    if (!sf || fread(hdr, 1, 24, sf) != 24) {
        fprintf(stderr, "gen_icarus: cannot read %s\n", argv[2]);
        return 1;
    }
    fclose(sf);
    const unsigned W = hdr[6] | hdr[7] << 8, H = hdr[8] | hdr[9] << 8;
    const uint32_t seed = (uint32_t)hdr[16] | (uint32_t)hdr[17] << 8 | (uint32_t)hdr[18] << 16 |
                          (uint32_t)hdr[19] << 24;
    nca_grid g, want;
    nca_workspace ws;
    if (nca_grid_init(&g, &m, W, H, seed, 0, &err) || nca_grid_init(&want, &m, W, H, seed, 0, &err) ||
        nca_state_load(argv[2], &want, &err) || nca_workspace_init(&ws, &g, &err)) {
        fprintf(stderr, "gen_icarus: %s\n", err.msg);
        return 1;
    }
    g.boundary = hdr[20];
    char path[1024];
    snprintf(path, sizeof path, "%s/cmds.hex", argv[5]);
    cmds = fopen(path, "w");
    snprintf(path, sizeof path, "%s/cycles.hex", argv[5]);
    FILE *cyc = fopen(path, "w");
    snprintf(path, sizeof path, "%s/expected.hex", argv[5]);
    FILE *exp = fopen(path, "w");
    snprintf(path, sizeof path, "%s/meta.hex", argv[5]);
    FILE *meta = fopen(path, "w");
    if (!cmds || !cyc || !exp || !meta) {
        fprintf(stderr, "gen_icarus: cannot write into %s\n", argv[5]);
        return 1;
    }
    const unsigned I = nca_model_inputs(&m), Hd = m.hidden, C = m.channels;
    cmd(1, 0, Hd, 0);
    cmd(1, 1, m.kernels, 0);
    cmd(1, 2, g.boundary, 0);
    cmd(1, 3, m.fire_q, 0);
    cmd(1, 4, (uint32_t)m.alive_q | (m.flags & NCA_FLAG_ALL_ACTIVE ? 1u << 16 : 0u), 0);
    cmd(1, 5, m.state_frac, 0);
    cmd(1, 6, seed, 0);
    cmd(1, 7, 0, 0);
    for (unsigned j = 0; j < Hd; j++)
        for (unsigned i = 0; i < I; i++)
            cmd(2, 0, j << 16 | i, (uint32_t)(int32_t)m.w1[j * I + i]);
    for (unsigned k = 0; k < C; k++)
        for (unsigned j = 0; j < Hd; j++)
            cmd(2, 1, k << 16 | j, (uint32_t)(int32_t)m.w2[k * Hd + j]);
    for (unsigned j = 0; j < Hd; j++) {
        cmd(2, 2, j << 16, (uint32_t)m.b1[j]);
        cmd(2, 3, j << 16, m.shift1[j]);
    }
    for (unsigned k = 0; k < C; k++) {
        cmd(2, 4, k << 16, (uint32_t)m.b2[k]);
        cmd(2, 5, k << 16, m.shift2[k]);
    }
    cmd(3, 0, 0, 0);                /* clear */
    cmd(4, W / 2, H / 2, 0);        /* seed the centre, as nca-host */
    if (nca_grid_seed(&g, W / 2, H / 2, &err)) {
        fprintf(stderr, "gen_icarus: %s\n", err.msg);
        return 1;
    }
    for (unsigned s = 0; s < steps; s++) {
        cmd(8, 1, 0, 0);
        fprintf(cyc, "%08llx\n", (unsigned long long)nca_cycles_step(&m, &g, lanes, NULL));
        nca_step_fixed(&m, &g, &ws, NULL);
    }
    if (memcmp(g.s, want.s, (size_t)W * H * C * sizeof *g.s) != 0) {
        fprintf(stderr, "gen_icarus: nca_step_fixed disagrees with %s\n", argv[2]);
        return 1;
    }
    for (size_t i = 0; i < (size_t)W * H; i++)
        cell_hex(exp, want.s + i * C, C);
    fprintf(meta, "%08x\n%08x\n%08x\n%08x\n", ncmds, steps, W, H);
    fclose(cmds);
    fclose(cyc);
    fclose(exp);
    fclose(meta);
    printf("gen_icarus: %u commands, %u steps, %ux%u grid, expected state from %s\n", ncmds,
           steps, W, H, argv[2]);
    return 0;
}
