/* SPDX-License-Identifier: Apache-2.0 */
/* nca-grayscott - the Gray-Scott reference solver: seeded initial conditions, Euler steps,
 * trajectories as .npy and NCA state files (host/include/nca_grayscott.h). */
#include "nca.h"
#include "nca_grayscott.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *o)
{
    fprintf(o,
            "usage: nca-grayscott [options] --npy FILE | --state FILE\n"
            "Solve the Gray-Scott equations (Richardson et al. 2024, section 3.1) from a seeded\n"
            "initial condition: explicit Euler, 9-point Laplacian [[1,2,1],[2,-12,2],[1,2,1]]/4,\n"
            "periodic grid, double precision.\n"
            "\n"
            "Initial condition:\n"
            "      --ic FAMILY       train: A = 1, B = 0 with 3..6 squares (side 8..16) of\n"
            "                        A = 0.5, B = 0.25, noise +-0.01; test: 3 squares 16x16 of\n"
            "                        per-cell noise B in [0, 0.5), A = 1 - B (default train)\n"
            "  -s, --seed N          seed of the initial condition (default 1)\n"
            "  -g, --grid WxH        field size (default 64x64)\n"
            "\n"
            "Equations (defaults: the paper's):\n"
            "  -n, --steps N         Euler steps (default 1024)\n"
            "      --da V --db V     diffusion of A, B (0.1, 0.05)\n"
            "      --alpha V         feed of A (0.06230)\n"
            "      --gamma V         removal of B is gamma + alpha (0.06268)\n"
            "      --dt V            time step (1)\n"
            "\n"
            "Output:\n"
            "      --npy FILE        the trajectory, float32 [frames][height][width][2] (A, B),\n"
            "                        one frame every --every steps from step 0 to --steps\n"
            "      --every T         frame interval (default 32)\n"
            "      --state FILE      the field at --state-step as an NCA state file (what\n"
            "                        nca-host --load-state reads): A in channel 0, B in 1,\n"
            "                        words round(v 2^SF), every other channel 0, wrap boundary\n"
            "      --state-step N    (default 0, at most --steps)\n"
            "      --model FILE      the model the state file is for: its channels and SF\n"
            "      --channels C      channels of the state file without --model (default 8)\n"
            "      --state-frac SF   its SF without --model (default 14)\n"
            "  -q, --quiet           no summary line\n"
            "  -h, --help            this text\n"
            "Exit codes: 0 ok, 1 usage or file error, 2 the field became non-finite.\n");
}


static int uint_arg(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
        return 0;
    *out = (unsigned long)v;
    return 1;
}

/* A .npy (format 1.0) of float32 [frames][h][w][2], header padded to 64 bytes. */
static nca_status write_npy(const char *path, const float *data, unsigned frames, unsigned w,
                            unsigned h, nca_error *e)
{
    char dict[128];
    int dl = snprintf(dict, sizeof dict,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u, %u, 2), }",
                      frames, h, w);
    size_t hl = (size_t)dl + 1, total = 10 + hl;
    hl += (64 - total % 64) % 64;
    size_t body = (size_t)frames * h * w * 2 * sizeof(float);
    uint8_t *buf = malloc(10 + hl + body);
    if (!buf)
        return nca_fail(e, NCA_E_NOMEM, "out of memory");
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)(hl & 0xFF);
    buf[9] = (uint8_t)(hl >> 8);
    memset(buf + 10, ' ', hl);
    memcpy(buf + 10, dict, (size_t)dl);
    buf[10 + hl - 1] = '\n';
    for (size_t i = 0; i < body / 4; i++) { /* little-endian float32 */
        uint32_t u;
        memcpy(&u, &data[i], 4);
        for (int k = 0; k < 4; k++)
            buf[10 + hl + 4 * i + (size_t)k] = (uint8_t)(u >> (8 * k));
    }
    nca_status st = nca_write_file(path, buf, 10 + hl + body, e);
    free(buf);
    return st;
}

static void frame(const nca_gs *g, float *out)
{
    size_t n = (size_t)g->width * g->height;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (float)g->a[i];
        out[2 * i + 1] = (float)g->b[i];
    }
}

static nca_status write_state(const nca_gs *g, const char *path, const char *model_path,
                              unsigned channels, unsigned sf, nca_error *e)
{
    static nca_model m; /* large: not on the stack */
    memset(&m, 0, sizeof m);
    nca_status st;
    if (model_path) {
        if ((st = nca_model_load(model_path, &m, e)) != NCA_OK)
            return st;
    } else {
        m.channels = (uint8_t)channels;
        m.state_frac = (uint8_t)sf;
    }
    m.boundary = NCA_BOUNDARY_WRAP;
    nca_grid grid;
    if ((st = nca_grid_init(&grid, &m, g->width, g->height, 1, 0, e)) != NCA_OK)
        return st;
    st = nca_gs_to_grid(g, &grid, e);
    if (st == NCA_OK)
        st = nca_state_save(path, &grid, e);
    nca_grid_free(&grid);
    return st;
}

int main(int argc, char **argv)
{
    enum { O_IC = 256, O_DA, O_DB, O_ALPHA, O_GAMMA, O_DT, O_NPY, O_EVERY, O_STATE, O_STATE_STEP,
           O_MODEL, O_CHANNELS, O_SF };
    static const struct option lo[] = {
        {"ic", required_argument, 0, O_IC},       {"seed", required_argument, 0, 's'},
        {"grid", required_argument, 0, 'g'},      {"steps", required_argument, 0, 'n'},
        {"da", required_argument, 0, O_DA},       {"db", required_argument, 0, O_DB},
        {"alpha", required_argument, 0, O_ALPHA}, {"gamma", required_argument, 0, O_GAMMA},
        {"dt", required_argument, 0, O_DT},       {"npy", required_argument, 0, O_NPY},
        {"every", required_argument, 0, O_EVERY}, {"state", required_argument, 0, O_STATE},
        {"state-step", required_argument, 0, O_STATE_STEP},
        {"model", required_argument, 0, O_MODEL}, {"channels", required_argument, 0, O_CHANNELS},
        {"state-frac", required_argument, 0, O_SF}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    nca_gs_params p;
    nca_gs_params_default(&p);
    nca_gs_family family = NCA_GS_IC_TRAIN;
    unsigned long seed = 1, steps = 1024, every = 32, state_step = 0, channels = 8, sf = 14,
                  width = 64, height = 64;
    const char *npy = NULL, *state = NULL, *model = NULL;
    int c, quiet = 0;
    double v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:g:n:qh", lo, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case O_IC:
            if (strcmp(optarg, "train") == 0) family = NCA_GS_IC_TRAIN;
            else if (strcmp(optarg, "test") == 0) family = NCA_GS_IC_TEST;
            else bad = "--ic";
            break;
        case 's': if (!uint_arg(optarg, 0, 0xFFFFFFFFul, &seed)) bad = "--seed"; break;
        case 'g': {
            char *x = strchr(optarg, 'x');
            char wbuf[16];
            if (!x || (size_t)(x - optarg) >= sizeof wbuf) { bad = "--grid"; break; }
            memcpy(wbuf, optarg, (size_t)(x - optarg));
            wbuf[x - optarg] = '\0';
            if (!uint_arg(wbuf, 3, NCA_MAX_GRID, &width) ||
                !uint_arg(x + 1, 3, NCA_MAX_GRID, &height))
                bad = "--grid";
            break;
        }
        case 'n': if (!uint_arg(optarg, 0, 10000000, &steps)) bad = "--steps"; break;
        case O_DA: if (nca_parse_double(optarg, 0, 10, &v)) p.da = v; else bad = "--da"; break;
        case O_DB: if (nca_parse_double(optarg, 0, 10, &v)) p.db = v; else bad = "--db"; break;
        case O_ALPHA: if (nca_parse_double(optarg, 0, 10, &v)) p.alpha = v; else bad = "--alpha"; break;
        case O_GAMMA: if (nca_parse_double(optarg, 0, 10, &v)) p.gamma = v; else bad = "--gamma"; break;
        case O_DT: if (nca_parse_double(optarg, 1e-9, 100, &v)) p.dt = v; else bad = "--dt"; break;
        case O_NPY: npy = optarg; break;
        case O_EVERY: if (!uint_arg(optarg, 1, 10000000, &every)) bad = "--every"; break;
        case O_STATE: state = optarg; break;
        case O_STATE_STEP:
            if (!uint_arg(optarg, 0, 10000000, &state_step)) bad = "--state-step";
            break;
        case O_MODEL: model = optarg; break;
        case O_CHANNELS:
            if (!uint_arg(optarg, 2, NCA_MAX_CHANNELS, &channels)) bad = "--channels";
            break;
        case O_SF: if (!uint_arg(optarg, 4, 14, &sf)) bad = "--state-frac"; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "nca-grayscott: option '%s' needs a value\n", argv[optind - 1]);
            return 1;
        default:
            fprintf(stderr, "nca-grayscott: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 1;
        }
        if (bad) {
            fprintf(stderr, "nca-grayscott: bad %s '%s'\n", bad, optarg);
            return 1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "nca-grayscott: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 1;
    }
    if (!npy && !state) {
        fprintf(stderr, "nca-grayscott: nothing to write: give --npy FILE or --state FILE\n");
        return 1;
    }
    if (state && state_step > steps) {
        fprintf(stderr, "nca-grayscott: --state-step %lu after the last step %lu\n", state_step,
                steps);
        return 1;
    }
    nca_error e = {{0}};
    nca_gs g;
    unsigned frames = (unsigned)(steps / every) + 1;
    float *traj = NULL;
    nca_status st = nca_gs_init(&g, (unsigned)width, (unsigned)height, &e);
    if (st == NCA_OK)
        st = nca_gs_initial(&g, family, seed, &e);
    if (st == NCA_OK && npy) {
        traj = malloc((size_t)frames * width * height * 2 * sizeof *traj);
        if (!traj)
            st = nca_fail(&e, NCA_E_NOMEM, "out of memory for %u frames", frames);
    }
    for (unsigned long t = 0; st == NCA_OK; t++) {
        if (traj && t % every == 0)
            frame(&g, traj + (size_t)(t / every) * width * height * 2);
        if (state && t == state_step)
            st = write_state(&g, state, model, (unsigned)channels, (unsigned)sf, &e);
        if (t == steps || st != NCA_OK)
            break;
        st = nca_gs_step(&g, &p, &e);
    }
    if (st == NCA_OK && traj)
        st = write_npy(npy, traj, frames, (unsigned)width, (unsigned)height, &e);
    if (st == NCA_OK && !quiet) {
        double amin = g.a[0], amax = g.a[0], bmin = g.b[0], bmax = g.b[0];
        for (size_t i = 1; i < (size_t)width * height; i++) {
            amin = g.a[i] < amin ? g.a[i] : amin;
            amax = g.a[i] > amax ? g.a[i] : amax;
            bmin = g.b[i] < bmin ? g.b[i] : bmin;
            bmax = g.b[i] > bmax ? g.b[i] : bmax;
        }
        printf("nca-grayscott: %s seed %lu, %lux%lu, %lu steps: A in [%.4f, %.4f], "
               "B in [%.4f, %.4f]\n", family == NCA_GS_IC_TRAIN ? "train" : "test", seed, width,
               height, steps, amin, amax, bmin, bmax);
    }
    free(traj);
    nca_gs_free(&g);
    if (st != NCA_OK) {
        fprintf(stderr, "nca-grayscott: %s\n", e.msg);
        return st == NCA_E_RANGE ? 2 : 1;
    }
    return 0;
}
