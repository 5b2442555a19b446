/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca.h - nca-fpga reference library: the fixed-point NCA step (the executable
 * form of docs/fixed-point.md), its float32 twin, the model file format
 * (docs/model-format.md), grid operations, state files and PNG export.
 *
 * No globals. Every fallible call returns an nca_status and, on failure,
 * writes one line of text describing the problem into an nca_error that the
 * caller owns; only the program's main turns it into output.
 */
#ifndef NCA_H
#define NCA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits of the spec ------------------------------------------------- */
#define NCA_MAX_CHANNELS 16
#define NCA_MAX_HIDDEN 128
#define NCA_MAX_FILTERS 4
#define NCA_MAX_INPUTS (NCA_MAX_CHANNELS * NCA_MAX_FILTERS)
#define NCA_MAX_GRID 1024 /* largest grid side, cells */
#define NCA_NAME_LEN 32
#define NCA_DESC_LEN 128
#define NCA_BIAS_LIMIT (1 << 24) /* |bias| must be < this (accumulator units) */
#define NCA_FIRE_ALWAYS 65536u
/* model flags (file byte 22, format version 2): bit 0 = no alive masking, every cell is
 * active before and after the update (PDE models, Richardson et al.) */
#define NCA_FLAG_ALL_ACTIVE 0x01u
#define NCA_FLAGS_ALL 0x01u

/* filter bits of nca_model.kernels; inputs are ordered filter-major:
 * input index = filter_rank * channels + channel, filters in bit order. */
enum nca_kernel_bits {
    NCA_K_IDENTITY = 1u << 0,
    NCA_K_SOBEL_X = 1u << 1,
    NCA_K_SOBEL_Y = 1u << 2,
    NCA_K_LAPLACE = 1u << 3,
    NCA_K_ALL = 0xFu
};

enum nca_boundary { NCA_BOUNDARY_ZERO = 0, NCA_BOUNDARY_WRAP = 1 };

typedef enum nca_status {
    NCA_OK = 0,
    NCA_E_IO = 1,      /* file cannot be opened/read/written */
    NCA_E_FORMAT = 2,  /* malformed or corrupt input */
    NCA_E_RANGE = 3,   /* a value outside what the spec allows */
    NCA_E_NOMEM = 4,
    NCA_E_ARG = 5,     /* bad argument from the caller */
    NCA_E_DEVICE = 6,  /* backend / link failure */
    NCA_E_MISMATCH = 7 /* verification mismatch */
} nca_status;

typedef struct nca_error {
    char msg[256];
} nca_error;

/* Writes a formatted one-line message into err (if non-NULL) and returns st. */
nca_status nca_fail(nca_error *err, nca_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- the model ---------------------------------------------------------- */
typedef struct nca_model {
    uint8_t channels;   /* C, 4..16 (channel 3 is alpha) */
    uint8_t hidden;     /* H, 1..128 */
    uint8_t kernels;    /* nca_kernel_bits, must include identity */
    uint8_t boundary;   /* enum nca_boundary */
    uint32_t fire_q;    /* cell fires if (hash >> 16) < fire_q; 0..65536 */
    uint8_t state_frac; /* SF: state and perception value = word / 2^SF, int16; 4..14 */
    uint8_t hid_frac;   /* HF: hidden uint8 h = value * 2^HF; 0..15 */
    int16_t alive_q;    /* alive iff alpha state word > alive_q (>= 0) */
    uint8_t flags;      /* NCA_FLAG_*: NCA_FLAG_ALL_ACTIVE turns the alive masks off */
    uint8_t shift1[NCA_MAX_HIDDEN];   /* layer-1 requant right shift, 0..31 */
    uint8_t shift2[NCA_MAX_CHANNELS]; /* layer-2 requant right shift, 0..31 */
    char name[NCA_NAME_LEN + 1];
    char desc[NCA_DESC_LEN + 1];
    /* weights, row-major by output: w1[j * inputs + i], w2[k * hidden + j] */
    int8_t w1[NCA_MAX_HIDDEN * NCA_MAX_INPUTS];
    int32_t b1[NCA_MAX_HIDDEN];
    int8_t w2[NCA_MAX_CHANNELS * NCA_MAX_HIDDEN];
    int32_t b2[NCA_MAX_CHANNELS];
} nca_model;

unsigned nca_model_filters(const nca_model *m);  /* popcount of kernels */
unsigned nca_model_inputs(const nca_model *m);   /* filters * channels */
/* Checks every field against the spec's ranges. */
nca_status nca_model_validate(const nca_model *m, nca_error *err);

/* File I/O. Parsing is all-or-nothing: on failure *out is left untouched. */
nca_status nca_model_parse(const uint8_t *buf, size_t len, nca_model *out, nca_error *err);
nca_status nca_model_load(const char *path, nca_model *out, nca_error *err);
/* Serialises into buf (cap bytes); *len gets the size. */
nca_status nca_model_serialize(const nca_model *m, uint8_t *buf, size_t cap, size_t *len,
                               nca_error *err);
size_t nca_model_file_size(const nca_model *m);
nca_status nca_model_save(const char *path, const nca_model *m, nca_error *err);

/* The real-valued weights the integers stand for (used by the float step). */
typedef struct nca_model_f {
    unsigned channels, hidden, inputs, kernels;
    float w1[NCA_MAX_HIDDEN * NCA_MAX_INPUTS];
    float b1[NCA_MAX_HIDDEN];
    float w2[NCA_MAX_CHANNELS * NCA_MAX_HIDDEN];
    float b2[NCA_MAX_CHANNELS];
    float alive; /* alpha threshold */
    int all_active; /* NCA_FLAG_ALL_ACTIVE: no alive masking */
    float fire;  /* fire probability (fire_q / 65536) */
} nca_model_f;
void nca_model_dequantize(const nca_model *m, nca_model_f *out);

/* ---- the grid ----------------------------------------------------------- */
typedef struct nca_grid {
    unsigned width, height, channels;
    uint8_t state_frac;
    uint8_t boundary;
    uint32_t seed; /* rng seed of the fire hash */
    uint32_t step; /* steps done so far */
    int16_t *s;    /* [y][x][c] */
    float *f;      /* float twin [y][x][c], NULL when not used */
} nca_grid;

/* Allocates a zeroed grid for the model (float twin too if with_float). */
nca_status nca_grid_init(nca_grid *g, const nca_model *m, unsigned width, unsigned height,
                         uint32_t seed, int with_float, nca_error *err);
void nca_grid_free(nca_grid *g);
void nca_grid_clear(nca_grid *g);
/* Seed: channels 3..C-1 set to 1.0 at (x, y), the rest of that cell 0. */
nca_status nca_grid_seed(nca_grid *g, unsigned x, unsigned y, nca_error *err);

/* Damage: every cell inside is set to all-zero. */
typedef enum nca_damage_kind {
    NCA_DMG_CIRCLE = 0, /* a = cx, b = cy, c = radius: (x-cx)^2+(y-cy)^2 <= r^2 */
    NCA_DMG_HALF = 1,   /* a = side: 0 left, 1 right, 2 top, 3 bottom */
    NCA_DMG_SQUARE = 2  /* a = cx, b = cy, c = side: x in [cx-side/2, cx-side/2+side) */
} nca_damage_kind;
enum { NCA_HALF_LEFT = 0, NCA_HALF_RIGHT = 1, NCA_HALF_TOP = 2, NCA_HALF_BOTTOM = 3 };
typedef struct nca_damage {
    nca_damage_kind kind;
    int a, b, c;
} nca_damage;
/* Is cell (x, y) of a w x h grid inside the damage region? */
int nca_damage_hits(const nca_damage *d, unsigned w, unsigned h, unsigned x, unsigned y);
void nca_grid_damage(nca_grid *g, const nca_damage *d);
/* Parses "circle:X,Y,R", "half:left|right|top|bottom", "square:X,Y,SIDE". */
nca_status nca_damage_parse(const char *spec, nca_damage *out, nca_error *err);

/* ---- the step ----------------------------------------------------------- */
/* Counter-based fire hash of (seed, step, x, y); see docs/fixed-point.md. */
uint32_t nca_hash(uint32_t seed, uint32_t step, uint32_t x, uint32_t y);
int nca_fires(uint32_t fire_q, uint32_t seed, uint32_t step, uint32_t x, uint32_t y);

/* Per-step counters, filled by the steps when non-NULL. */
typedef struct nca_step_stats {
    uint32_t pre_alive; /* cells alive before the update */
    uint32_t active;    /* cells alive before the update that fire (run the MLP) */
    uint32_t alive;     /* cells alive after the step (pre and post) */
} nca_step_stats;

#ifdef __cplusplus /* the benches include this header from C++ */
#define NCA_ALIGN32 alignas(32)
#else
#define NCA_ALIGN32 _Alignas(32)
#endif
/* The MLP kernels, slowest first: a pack runs the best one that both its caller allows and
 * the CPU has; every kernel gives the integers of nca_mlp, bit for bit. */
typedef enum nca_simd {
    NCA_SIMD_NONE,   /* nca_mlp, portable C */
    NCA_SIMD_AVX2,   /* int16 pairs (vpmaddwd), one cell at a time */
    NCA_SIMD_AVX512, /* AVX-512 VNNI (vpdpwssd, vpdpbusd), four cells at a time */
} nca_simd;
/* Most cells the batch MLP takes at once. */
#define NCA_MLP_BATCH 8
/* A model's weights packed for the fast MLP (nca_mlp_fast.c): int16 pairs across hidden
 * units (layer 1, both SIMD kernels), int16 pairs (AVX2) or int8 quads (AVX-512) across
 * channels (layer 2). */
typedef struct nca_mlp_pack {
    NCA_ALIGN32 int16_t w1p[NCA_MAX_INPUTS * NCA_MAX_HIDDEN];
    NCA_ALIGN32 int16_t w2p[(NCA_MAX_HIDDEN + 2) * NCA_MAX_CHANNELS];
    NCA_ALIGN32 int8_t w2q[NCA_MAX_HIDDEN * NCA_MAX_CHANNELS];
    /* requant per layer-1 unit and per channel: bias, shift, shift - 1 (0 at shift 0),
     * round bit mask */
    NCA_ALIGN32 int32_t b1[NCA_MAX_HIDDEN];
    NCA_ALIGN32 int32_t sh1[NCA_MAX_HIDDEN];
    NCA_ALIGN32 int32_t sh1m[NCA_MAX_HIDDEN];
    NCA_ALIGN32 int32_t rm1[NCA_MAX_HIDDEN];
    NCA_ALIGN32 int32_t b2[NCA_MAX_CHANNELS];
    NCA_ALIGN32 int32_t sh2[NCA_MAX_CHANNELS];
    NCA_ALIGN32 int32_t sh2m[NCA_MAX_CHANNELS];
    NCA_ALIGN32 int32_t rm2[NCA_MAX_CHANNELS];
    const nca_model *model;
    nca_simd simd;
    unsigned in_pairs, h_pad, h_pairs, c_pad;
} nca_mlp_pack;
/* The fastest MLP kernel this CPU can run. */
nca_simd nca_cpu_simd(void);
/* Packs m (kept by pointer: it must outlive the pack) for the best kernel up to max. */
void nca_mlp_pack_init(nca_mlp_pack *pk, const nca_model *m, nca_simd max);
/* The same integers as nca_mlp(pk->model, p, ds). */
void nca_mlp_packed(const nca_mlp_pack *pk, const int16_t *p, int32_t *ds);
/* n (1..NCA_MLP_BATCH) cells at once: row r of p (NCA_MAX_INPUTS words) gives row r of ds
 * (NCA_MAX_CHANNELS words), the integers of nca_mlp on that row. */
void nca_mlp_packed_batch(const nca_mlp_pack *pk, unsigned n,
                          const int16_t (*p)[NCA_MAX_INPUTS], int32_t (*ds)[NCA_MAX_CHANNELS]);

/* Scratch memory for the fixed step: one per grid size, reusable. */
typedef struct nca_workspace {
    size_t cells;
    int16_t *next;  /* intermediate state (after the update, before masking) */
    float *fnext;   /* the same for the float twin; NULL when the grid has none */
    uint8_t *pre;   /* alive before the update */
    uint8_t *post;  /* alive after the update */
    uint8_t *tmp;   /* scratch for the separable 3x3 max filter */
    nca_mlp_pack *mlp; /* the step's model, packed at each step (a few microseconds) */
    nca_simd simd_max; /* the fastest MLP kernel allowed (init: NCA_SIMD_AVX512, i.e. the
                          CPU's best); tests lower it to compare the kernels */
    float hidden_max; /* the float twin's largest hidden activation so far (calibration) */
} nca_workspace;
nca_status nca_workspace_init(nca_workspace *ws, const nca_grid *g, nca_error *err);
void nca_workspace_free(nca_workspace *ws);

/* One fixed-point step of the spec, in place on g->s; g->step += 1. */
void nca_step_fixed(const nca_model *m, nca_grid *g, nca_workspace *ws, nca_step_stats *st);
/* One float32 step of the dequantised model on g->f (same fire bits, TF semantics). */
void nca_step_float(const nca_model_f *mf, nca_grid *g, nca_workspace *ws, nca_step_stats *st);

/* The per-cell pieces the step is built from (exported for unit tests and the RTL benches). */
/* Perception of cell (x, y): writes nca_model_inputs(m) int16 values (state format). */
void nca_perceive(const nca_model *m, const nca_grid *g, unsigned x, unsigned y, int16_t *p);
/* The same with the step's kernel: AVX-512 (simd NCA_SIMD_AVX512, the CPU must have it) or
 * portable C (anything else); the same words as nca_perceive. */
void nca_perceive_fast(const nca_model *m, const nca_grid *g, unsigned x, unsigned y,
                       nca_simd simd, int16_t *p);
/* The MLP on one perception vector: ds[k] is the increment in state units. */
void nca_mlp(const nca_model *m, const int16_t *p, int32_t *ds);
int32_t nca_rshift_round(int64_t v, unsigned sh); /* floor((v + 2^(sh-1)) / 2^sh) */
int16_t nca_sat16(int64_t v);

/* ---- state files, frames, measurement ------------------------------------ */
/* State file: docs/fixed-point.md "State file". */
nca_status nca_state_save(const char *path, const nca_grid *g, nca_error *err);
/* Loads into an initialised grid of the same size/channels/format. */
nca_status nca_state_load(const char *path, nca_grid *g, nca_error *err);
/* The same from n bytes in memory (name for messages); all-or-nothing: g is untouched on an error. */
nca_status nca_state_parse(const uint8_t *buf, size_t n, const char *name, nca_grid *g,
                           nca_error *err);
/* Copies the float twin into the int grid (round to nearest, saturate) or back. */
void nca_grid_f_to_s(nca_grid *g);
void nca_grid_s_to_f(nca_grid *g);

/* RGBA8 frame of the state (premultiplied, clamp [0,1] * 255, rounded). */
void nca_frame_rgba(const nca_grid *g, int use_float, uint8_t *rgba);
nca_status nca_png_write(const char *path, const uint8_t *rgba, unsigned w, unsigned h,
                         nca_error *err);
/* Reads a PNG as RGBA8 (*rgba malloc'ed, caller frees). */
nca_status nca_png_read(const char *path, uint8_t **rgba, unsigned *w, unsigned *h,
                        nca_error *err);

/* A training target: RGBA premultiplied floats, centred on a grid. */
typedef struct nca_target {
    unsigned width, height;
    float *rgba; /* [y][x][4] */
} nca_target;
/* Loads a straight-alpha PNG, premultiplies, centres it on a width x height grid. */
nca_status nca_target_load(const char *path, unsigned width, unsigned height, nca_target *t,
                           nca_error *err);
void nca_target_free(nca_target *t);

/* ---- quantisation and import ------------------------------------------- */
/* The formats a float model is quantised to (docs/fixed-point.md "Scales"). */
typedef struct nca_qparams {
    unsigned state_frac, hid_frac;
    unsigned boundary;
    double fire_rate;       /* 0..1 */
    double alive_threshold; /* alpha threshold, e.g. 0.1 */
    unsigned flags;         /* NCA_FLAG_*, e.g. NCA_FLAG_ALL_ACTIVE */
    const char *name, *desc;
} nca_qparams;
void nca_qparams_default(nca_qparams *q);
/* Quantises float weights (mf->channels/hidden/kernels/inputs, w*, b*) to the spec:
 * per-row power-of-two weight scales, biases in accumulator units. */
nca_status nca_quantize(const nca_model_f *mf, const nca_qparams *q, nca_model *out,
                        nca_error *err);
/* Rotation of the perception (Distill experiment 4): the model whose Sobel-x/y perception is
 * turned by `degrees`, px' = cos px - sin py, py' = sin px + cos py (the Distill notebook's
 * perceive(angle)), which grows its pattern turned counter-clockwise by `degrees` as a frame
 * shows it (y down). Done on layer 1: its Sobel-x/y weight columns are mixed in float and the
 * layer requantised (nca_quantize); layer 2 is kept. A multiple of 360 gives the model itself.
 * NCA_E_ARG when the model lacks Sobel-x or Sobel-y (nca_model_rotatable). out may be in. */
int nca_model_rotatable(const nca_model *m);
nca_status nca_model_rotate(const nca_model *in, double degrees, nca_model *out, nca_error *err);
/* An angle in degrees brought into (-180, 180]. */
double nca_angle_normalize(double degrees);
/* Turns a target counter-clockwise (as shown, y down) by `degrees` about the centre of cell
 * (px, py), bilinear, zero outside: the pattern a rotated model grows from a seed at (px, py)
 * (the growth turns about its seed cell; nca-host seeds at (width/2, height/2)). */
nca_status nca_target_rotate(nca_target *t, double degrees, unsigned px, unsigned py,
                             nca_error *err);
/* Calibration: runs the float model (mf, with q's step config) from a seed on a
 * width x height grid for `steps` steps, fire-hash seeds 1..runs, and sets q->state_frac
 * to the largest SF (4..14) whose int16 range holds the largest |state| seen and
 * q->hid_frac to the largest HF (0..q's SF) whose uint8 range holds the largest hidden
 * activation seen (docs/fixed-point.md "Calibration"). */
typedef struct nca_calib {
    unsigned width, height, steps, runs; /* the float runs */
    float state_max, hidden_max;         /* out: the largest seen */
} nca_calib;
nca_status nca_calibrate(const nca_model_f *mf, nca_qparams *q, nca_calib *c, nca_error *err);
/* Parses a Distill demo JSON model (webgl_models8 format) into float weights. */
nca_status nca_distill_parse(const char *json, size_t len, nca_model_f *out, nca_error *err);
/* A command-line number: the whole of s is a finite double in [lo, hi]; 1 and *out set, else 0
 * (the tools' option parsing). */
int nca_parse_double(const char *s, double lo, double hi, double *out);
/* Reads a whole file (at most max bytes) into a NUL-terminated malloc'ed buffer. */
nca_status nca_read_file(const char *path, size_t max, char **buf, size_t *len, nca_error *err);
/* Where a whole-file writer writes path: PATH.part, renamed over path when complete, for a
 * regular file or a new path (return 1); path itself for a pipe, a device or a symbolic link
 * (such as /dev/stdout), which a rename would replace or could not reach (return 0). out
 * gets the name to open; NCA_E_ARG when it does not fit in size. */
nca_status nca_write_target(const char *path, char *out, size_t size, int *renamed,
                            nca_error *err);
/* Writes len bytes to path through nca_write_target: a file is replaced whole or not at all
 * (an error leaves what was there, and no PATH.part). */
nca_status nca_write_file(const char *path, const void *buf, size_t len, nca_error *err);

#ifdef __cplusplus
}
#endif
#endif
