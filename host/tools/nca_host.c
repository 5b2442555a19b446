/* SPDX-License-Identifier: Apache-2.0 */
/* nca-host - load a model into a backend, watch it grow live (window or terminal) or run it
 * headless: grow, damage, record, save frames and state. */
#include "nca.h"
#include "nca_backend.h"
#include "nca_board.h"
#include "nca_live.h"
#include "nca_script.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* documented exit codes */
enum { EXIT_USAGE = 1, EXIT_DEVICE = 2, EXIT_MISMATCH = 3 };

typedef struct host_opts {
    const char *model, *backend, *backend_arg, *verify, *view;
    const char *models[NCA_LIVE_MAX_MODELS]; /* every --model; model is the first */
    unsigned n_models;
    const char *save_state, *load_state, *save_frame, *target;
    const char *record, *events;
    unsigned steps, width, height, report;
    unsigned scale, spf, radius;
    int steps_set, spf_set;
    uint32_t seed;
    int boundary; /* -1: the model's */
    int seed_set; /* --seed given (else a loaded state's seed is used) */
    int info, verbose, quiet;
    double angle;  /* --angle, degrees */
    int angle_set;
    int list_models;
    const char *list_dir; /* --list-models DIR, NULL: the default */
    nca_board_options board; /* --port, --baud, --vboard: over --backend NAME:ARG's */
    int board_info;
    nca_script script; /* --damage and --events, by step */
    uint32_t last_damage;  /* the latest --damage step */
    int any_damage;
} host_opts;

static void usage(FILE *o)
{
    fprintf(o,
            "usage: nca-host --model FILE [--model FILE2 ...] [options]\n"
            "Grow a Neural Cellular Automaton on a backend (a board, or the C model) and watch\n"
            "it live: click to erase cells, watch them regrow.\n"
            "\n"
            "Model and backend:\n"
            "  -m, --model FILE        model file (.bin, docs/model-format.md); up to %d, keys\n"
            "                          1..9 switch among them in the live view\n"
            "  -b, --backend NAME[:ARG] backend (default auto: a board on USB if one answers,\n"
            "                          else ref, the C model); see --list-backends\n"
            "      --list-backends     list the backends built in\n"
            "      --verify NAME       run backend NAME in lockstep, compare state every step\n"
            "  -i, --info              print the model's config and name, then exit\n"
            "      --list-models [DIR] list the models (.bin) in DIR and one folder down: file,\n"
            "                          name, kind, channels, hidden, kernels, bytes, description\n"
            "                          (default DIR: the weights/ of this program's tree, else\n"
            "                          ./weights). The format has no kind field: kind is the first\n"
            "                          of regen, persist, grow, pde found in the file name, the\n"
            "                          model's name or its description, else '-'. A file that\n"
            "                          does not load is listed with the reason; exit 0 when one\n"
            "                          model or more loaded\n"
            "      --angle DEG         rotate the perception (Sobel x/y) of every --model by DEG\n"
            "                          degrees (Distill experiment 4): the pattern grows turned\n"
            "                          DEG counter-clockwise as frames show it (y down). Done on\n"
            "                          the host: layer 1's Sobel weight columns are mixed and\n"
            "                          requantised, so any backend runs it (a board: one\n"
            "                          LOAD_MODEL). --target is turned alike. Models without\n"
            "                          Sobel-x and Sobel-y kernels are refused\n"
            "\n"
            "Live view:\n"
            "      --view MODE         window (SDL2) | term (24-bit colour terminal) | none;\n"
            "                          default: window when a display opens one, else term when\n"
            "                          stdout is a terminal, else none (headless)\n"
            "      --scale N           zoom of the window and --record (default: ~640 px)\n"
            "      --spf N             steps per frame (default 1 on the C model, 4 on a board,\n"
            "                          whose frame costs about 4 steps; keys + -); with --view\n"
            "                          none it runs the live loop headless, a frame every N steps\n"
            "      --radius N          erase radius in cells (default 8; wheel, keys [ ])\n"
            "      --record FILE.gif   write each drawn frame to a GIF (also headless)\n"
            "      --events FILE       scripted input: lines 'STEP click X,Y [r=R]',\n"
            "                          'STEP seed X,Y', 'STEP key K', 'STEP damage SPEC'\n"
            "  In the view: left click/drag erases, right click or shift-click seeds, space\n"
            "  pauses, n steps once, r resets, 1..9 switch model, , and . rotate by -15 and\n"
            "  +15 degrees (from a seed, as --angle), p saves a PNG, q/Esc quits.\n"
            "\n"
            "Simulation:\n"
            "  -n, --steps N           steps to run (default: until quit with a live view,\n"
            "                          else 1000)\n"
            "  -s, --seed N            rng seed of the fire hash (default 1)\n"
            "  -g, --grid WxH          grid size in cells (default 64x64)\n"
            "      --boundary MODE     zero | wrap (default: the model's)\n"
            "  -d, --damage SPEC@STEP  erase cells once STEP steps are done (repeatable):\n"
            "                          circle:X,Y,R  half:left|right|top|bottom  square:X,Y,SIDE\n"
            "      --load-state FILE   resume from a saved state (its steps done and rng seed,\n"
            "                          unless --seed is given) instead of a seed cell\n"
            "\n"
            "Board (backends serial, usb, vboard):\n"
            "      --port PATH         serial device of --backend serial (default %s:\n"
            "                          the iCEBreaker's FT2232H channel B; a ULX3S is\n"
            "                          usually /dev/ttyUSB0, CDC-ACM boards /dev/ttyACM0)\n"
            "      --baud N            link baud rate, serial and usb (default %u)\n"
            "      --vboard PATH       virtual board binary of --backend vboard (default:\n"
            "                          %s beside this program, or in the source tree)\n"
            "      --capture FILE      write every byte the board sends to FILE (link\n"
            "                          debugging; the fuzz corpus of the link decoder)\n"
            "      --board-info        print the board's INFO (grid, channels, lanes, clock,\n"
            "                          baud, build) and exit; needs no --model\n"
            "\n"
            "Output:\n"
            "      --save-state FILE   full state after the last step (cmp-comparable)\n"
            "      --save-frame FILE   PNG, one pixel per cell, RGBA as the state holds it\n"
            "      --target PNG        print the RGBA MSE against this target (centred; with\n"
            "                          --angle turned alike about the seed cell, bilinear)\n"
            "      --report N          print counters (and MSE) every N steps (headless)\n"
            "  -v, --verbose           more output\n"
            "  -q, --quiet             errors only\n"
            "  -h, --help              this text\n"
            "\n"
            "Exit codes: 0 ok (also a quit from the view), 1 usage or file error,\n"
            "            2 device, link or display error, 3 verification mismatch.\n",
            NCA_LIVE_MAX_MODELS, NCA_BOARD_DEFAULT_PORT, NCA_BOARD_DEFAULT_BAUD,
            NCA_BOARD_VBOARD_NAME);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return 0;
    *out = v;
    return 1;
}

/* Returns 0 ok, else an exit code after printing the error. */
static int parse_args(int argc, char **argv, host_opts *o)
{
    enum { O_BOUNDARY = 256, O_VIEW, O_SAVE_STATE, O_LOAD_STATE, O_SAVE_FRAME, O_TARGET,
           O_REPORT, O_VERIFY, O_LIST, O_PORT, O_BAUD, O_VBOARD, O_CAPTURE, O_BOARD_INFO, O_RECORD,
           O_EVENTS, O_SCALE, O_SPF, O_RADIUS, O_ANGLE, O_LIST_MODELS };
    static const struct option lo[] = {
        {"model", required_argument, 0, 'm'},   {"backend", required_argument, 0, 'b'},
        {"info", no_argument, 0, 'i'},          {"steps", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'},    {"grid", required_argument, 0, 'g'},
        {"damage", required_argument, 0, 'd'},  {"boundary", required_argument, 0, O_BOUNDARY},
        {"view", required_argument, 0, O_VIEW}, {"save-state", required_argument, 0, O_SAVE_STATE},
        {"load-state", required_argument, 0, O_LOAD_STATE},
        {"save-frame", required_argument, 0, O_SAVE_FRAME},
        {"target", required_argument, 0, O_TARGET}, {"report", required_argument, 0, O_REPORT},
        {"verify", required_argument, 0, O_VERIFY}, {"list-backends", no_argument, 0, O_LIST},
        {"port", required_argument, 0, O_PORT}, {"baud", required_argument, 0, O_BAUD},
        {"vboard", required_argument, 0, O_VBOARD},
        {"capture", required_argument, 0, O_CAPTURE},
        {"board-info", no_argument, 0, O_BOARD_INFO},
        {"record", required_argument, 0, O_RECORD}, {"events", required_argument, 0, O_EVENTS},
        {"scale", required_argument, 0, O_SCALE}, {"spf", required_argument, 0, O_SPF},
        {"radius", required_argument, 0, O_RADIUS},
        {"angle", required_argument, 0, O_ANGLE},
        {"list-models", no_argument, 0, O_LIST_MODELS},
        {"verbose", no_argument, 0, 'v'},       {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    unsigned long v;
    int c;
    memset(o, 0, sizeof *o);
    o->backend = "auto";
    o->view = "auto";
    o->spf = 0; /* the live loop's default: 1 on the C model, NCA_LIVE_BOARD_SPF on a board */
    o->radius = 8;
    o->steps = 1000;
    o->width = o->height = 64;
    o->seed = 1;
    o->boundary = -1;
    nca_board_options_clear(&o->board);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:b:in:s:g:d:vqh", lo, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (o->n_models == NCA_LIVE_MAX_MODELS) {
                fprintf(stderr, "nca-host: at most %d --model files\n", NCA_LIVE_MAX_MODELS);
                return EXIT_USAGE;
            }
            o->models[o->n_models++] = optarg;
            o->model = o->models[0];
            break;
        case 'b': o->backend = optarg; break;
        case 'i': o->info = 1; break;
        case 'n':
            if (!parse_uint(optarg, 100000000ul, &v)) {
                fprintf(stderr, "nca-host: bad --steps '%s'\n", optarg);
                return EXIT_USAGE;
            }
            o->steps = (unsigned)v;
            o->steps_set = 1;
            break;
        case 's':
            if (!parse_uint(optarg, 0xFFFFFFFFul, &v)) {
                fprintf(stderr, "nca-host: bad --seed '%s'\n", optarg);
                return EXIT_USAGE;
            }
            o->seed = (uint32_t)v;
            o->seed_set = 1;
            break;
        case 'g': {
            unsigned w, h;
            char tail;
            if (sscanf(optarg, "%ux%u%c", &w, &h, &tail) != 2 || w < 3 || h < 3 ||
                w > NCA_MAX_GRID || h > NCA_MAX_GRID) {
                fprintf(stderr, "nca-host: bad --grid '%s' (WxH, 3..%u)\n", optarg, NCA_MAX_GRID);
                return EXIT_USAGE;
            }
            o->width = w;
            o->height = h;
            break;
        }
        case 'd': {
            char spec[128];
            const char *at = strrchr(optarg, '@');
            nca_error e;
            nca_event ev = {.kind = NCA_EV_DAMAGE};
            if (!at || (size_t)(at - optarg) >= sizeof spec ||
                !parse_uint(at + 1, 100000000ul, &v)) {
                fprintf(stderr, "nca-host: bad --damage '%s' (SPEC@STEP)\n", optarg);
                return EXIT_USAGE;
            }
            memcpy(spec, optarg, (size_t)(at - optarg));
            spec[at - optarg] = '\0';
            ev.step = (uint32_t)v;
            if (nca_damage_parse(spec, &ev.damage, &e) != NCA_OK ||
                nca_script_add(&o->script, &ev, &e) != NCA_OK) {
                fprintf(stderr, "nca-host: %s\n", e.msg);
                return EXIT_USAGE;
            }
            if (!o->any_damage || ev.step > o->last_damage)
                o->last_damage = ev.step;
            o->any_damage = 1;
            break;
        }
        case O_BOUNDARY:
            if (strcmp(optarg, "zero") == 0)
                o->boundary = NCA_BOUNDARY_ZERO;
            else if (strcmp(optarg, "wrap") == 0)
                o->boundary = NCA_BOUNDARY_WRAP;
            else {
                fprintf(stderr, "nca-host: bad --boundary '%s' (zero|wrap)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_VIEW:
            if (strcmp(optarg, "window") && strcmp(optarg, "term") && strcmp(optarg, "none") &&
                strcmp(optarg, "auto")) {
                fprintf(stderr, "nca-host: bad --view '%s' (window|term|none)\n", optarg);
                return EXIT_USAGE;
            }
            o->view = optarg;
            break;
        case O_RECORD: o->record = optarg; break;
        case O_EVENTS: o->events = optarg; break;
        case O_SCALE:
        case O_SPF:
        case O_RADIUS: {
            const unsigned long max = c == O_SCALE ? 64 : c == O_SPF ? 65535 : 256;
            if (!parse_uint(optarg, max, &v) || v == 0) {
                fprintf(stderr, "nca-host: bad --%s '%s' (1..%lu)\n",
                        c == O_SCALE ? "scale" : c == O_SPF ? "spf" : "radius", optarg, max);
                return EXIT_USAGE;
            }
            *(c == O_SCALE ? &o->scale : c == O_SPF ? &o->spf : &o->radius) = (unsigned)v;
            o->spf_set |= c == O_SPF;
            break;
        }
        case O_SAVE_STATE: o->save_state = optarg; break;
        case O_LOAD_STATE: o->load_state = optarg; break;
        case O_SAVE_FRAME: o->save_frame = optarg; break;
        case O_TARGET: o->target = optarg; break;
        case O_REPORT:
            if (!parse_uint(optarg, 100000000ul, &v) || v == 0) {
                fprintf(stderr, "nca-host: bad --report '%s'\n", optarg);
                return EXIT_USAGE;
            }
            o->report = (unsigned)v;
            break;
        case O_VERIFY: o->verify = optarg; break;
        case O_PORT:
        case O_VBOARD:
        case O_CAPTURE: {
            nca_error e;
            const char *name = c == O_PORT ? "port" : c == O_VBOARD ? "vboard" : "capture";
            if (nca_board_options_set(&o->board, name, optarg, &e) != NCA_OK) {
                fprintf(stderr, "nca-host: --%s: %s\n", name, e.msg);
                return EXIT_USAGE;
            }
            break;
        }
        case O_BAUD:
            if (!parse_uint(optarg, 100000000ul, &v) || v < 300) {
                fprintf(stderr, "nca-host: bad --baud '%s' (300..100000000)\n", optarg);
                return EXIT_USAGE;
            }
            o->board.baud = (unsigned)v;
            break;
        case O_BOARD_INFO: o->board_info = 1; break;
        case O_ANGLE: {
            char *end;
            errno = 0;
            double a = strtod(optarg, &end);
            if (errno || end == optarg || *end || !isfinite(a) || fabs(a) > 1e6) {
                fprintf(stderr, "nca-host: bad --angle '%s' (degrees, e.g. 45 or -90)\n",
                        optarg);
                return EXIT_USAGE;
            }
            o->angle = a;
            o->angle_set = 1;
            break;
        }
        case O_LIST_MODELS: o->list_models = 1; break;
        case O_LIST:
            for (const nca_backend_ops *const *p = nca_backends(); *p; p++)
                printf("%-8s %s\n", (*p)->name, (*p)->summary);
            exit(0);
        case 'v': o->verbose = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        case ':':
            fprintf(stderr, "nca-host: option '%s' needs a value (see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        default:
            fprintf(stderr, "nca-host: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (o->list_models && optind == argc - 1)
        o->list_dir = argv[optind++]; /* --list-models DIR */
    if (optind < argc) {
        fprintf(stderr, "nca-host: unexpected argument '%s' (see --help)\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (o->list_models)
        return 0;
    if (!o->model && !o->board_info) {
        fprintf(stderr, "nca-host: --model FILE is required (see --help)\n");
        return EXIT_USAGE;
    }
    if (o->verify && strcmp(o->view, "none") && strcmp(o->view, "auto")) {
        fprintf(stderr, "nca-host: --verify runs without a live view (--view none)\n");
        return EXIT_USAGE;
    }
    if (o->events) {
        nca_error e;
        if (nca_script_load(o->events, &o->script, &e) != NCA_OK) {
            fprintf(stderr, "nca-host: %s\n", e.msg);
            return EXIT_USAGE;
        }
    }
    nca_script_sort(&o->script);
    if (o->any_damage && o->steps_set && o->last_damage >= o->steps) {
        fprintf(stderr, "nca-host: damage at step %u never happens with --steps %u\n",
                o->last_damage, o->steps);
        return EXIT_USAGE;
    }
    char *colon = strchr(o->backend, ':');
    o->backend_arg = "";
    if (colon) {
        *colon = '\0';
        o->backend_arg = colon + 1;
    }
    return 0;
}

/* --board-info: INFO as "key: value" lines */
static void print_board_info(const nca_board_info *i, FILE *f)
{
    fprintf(f, "board:       %s (%u)\n", nca_board_name(i->board), i->board);
    fprintf(f, "protocol:    %u\n", i->version);
    fprintf(f, "grid:        %ux%u\n", i->width, i->height);
    fprintf(f, "channels:    %u\nhidden:      %u (most the build holds)\n", i->channels,
            i->hidden);
    fprintf(f, "lanes:       %u\ncore:        %u\n", i->lanes, i->core);
    fprintf(f, "clock:       %u Hz\nbaud:        %u\n", i->clock_hz, i->baud);
    fprintf(f, "build:       %08x%s\n", i->build_id, i->build_id ? "" : " (dirty or simulated)");
    fprintf(f, "model:       %s\nrunning:     %s\n", i->flags & 1u ? "loaded" : "none",
            i->flags & 2u ? "yes" : "no");
}

static void print_info(const nca_model *m)
{
    static const char *kn[4] = {"identity", "sobel_x", "sobel_y", "laplace"};
    printf("name:        %s\n", m->name);
    printf("description: %s\n", m->desc);
    printf("channels:    %u\nhidden:      %u\ninputs:      %u\n", m->channels, m->hidden,
           nca_model_inputs(m));
    printf("kernels:    ");
    for (int b = 0; b < 4; b++)
        if (m->kernels & (1u << b))
            printf(" %s", kn[b]);
    printf("\nboundary:    %s\n", m->boundary == NCA_BOUNDARY_WRAP ? "wrap" : "zero");
    printf("fire rate:   %u/65536 (%.4f)\n", m->fire_q, m->fire_q / 65536.0);
    if (m->flags & NCA_FLAG_ALL_ACTIVE)
        printf("alive:       every cell (no alive masking)\n");
    else
        printf("alive:       alpha word > %d (%.4f)\n", m->alive_q,
               m->alive_q / (double)(1 << m->state_frac));
    printf("formats:     state and perception int16 Q%u, hidden uint8 Q%u\n", m->state_frac,
           m->hid_frac);
    printf("weights:     %u (int8) + %u biases (int32)\n",
           m->hidden * nca_model_inputs(m) + m->channels * m->hidden, m->hidden + m->channels);
}

/* ---- --list-models ---------------------------------------------------------------------- */

/* The weights/ folder of this program's tree (build/ or build/san/ beside it), else ./weights. */
static void default_weights_dir(char *out, size_t cap)
{
    static const char *const rel[2] = {"../weights", "../../weights"};
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            slash[1] = '\0';
        for (int i = 0; i < 2; i++) {
            struct stat sb;
            snprintf(out, cap, "%s%s", exe, rel[i]);
            if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                char real[PATH_MAX];
                if (realpath(out, real) && strlen(real) < cap)
                    memcpy(out, real, strlen(real) + 1);
                return;
            }
        }
    }
    snprintf(out, cap, "weights");
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the .bin files of dir/sub (sub "" for dir itself) to list, paths relative to dir;
 * with recurse, also those of its subfolders (one level). */
static nca_status collect_models(const char *dir, const char *sub, int recurse, char ***list,
                                 size_t *n, size_t *cap, nca_error *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", dir, *sub ? "/" : "", sub);
    DIR *d = opendir(path);
    if (!d)
        return nca_fail(e, NCA_E_IO, "%s: %s", path, strerror(errno));
    nca_status st = NCA_OK;
    struct dirent *de;
    while (st == NCA_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char rel[1024], full[4096];
        snprintf(rel, sizeof rel, "%s%s%s", sub, *sub ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", dir, rel);
        struct stat sb;
        if (stat(full, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if (recurse)
                st = collect_models(dir, rel, 0, list, n, cap, e);
            continue;
        }
        if (!S_ISREG(sb.st_mode) || !ends_with(de->d_name, ".bin"))
            continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            char **nl = realloc(*list, nc * sizeof *nl);
            if (!nl) {
                st = nca_fail(e, NCA_E_NOMEM, "out of memory");
                break;
            }
            *list = nl;
            *cap = nc;
        }
        if (!((*list)[*n] = strdup(rel)))
            st = nca_fail(e, NCA_E_NOMEM, "out of memory");
        else
            (*n)++;
    }
    closedir(d);
    return st;
}

/* "I+Sx+Sy": the kernel set */
static void kernel_text(unsigned k, char *out, size_t cap)
{
    static const char *kn[4] = {"I", "Sx", "Sy", "L"};
    size_t len = 0;
    out[0] = '\0';
    for (int b = 0; b < 4; b++)
        if (k & (1u << b))
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "+" : "", kn[b]);
}

/* What the model is for, guessed: the format has no field for it (see --help). */
static const char *model_kind(const char *file, const nca_model *m)
{
    static const char *const kinds[4] = {"regen", "persist", "grow", "pde"};
    const char *texts[3] = {file, m->name, m->desc};
    for (int t = 0; t < 3; t++)
        for (int k = 0; k < 4; k++) {
            const char *p = texts[t];
            size_t kl = strlen(kinds[k]);
            for (; *p; p++)
                if (strncasecmp(p, kinds[k], kl) == 0)
                    return kinds[k];
        }
    return "-";
}

/* --list-models: a table of the models in dir; 0 when at least one loaded. */
static int list_models(const char *dir_arg)
{
    char dir[1100];
    if (dir_arg)
        snprintf(dir, sizeof dir, "%s", dir_arg);
    else
        default_weights_dir(dir, sizeof dir);
    char **list = NULL;
    size_t n = 0, cap = 0;
    nca_error e;
    nca_model *m = malloc(sizeof *m);
    nca_status st = m ? collect_models(dir, "", 1, &list, &n, &cap, &e)
                      : nca_fail(&e, NCA_E_NOMEM, "out of memory");
    unsigned loaded = 0;
    if (st == NCA_OK && n == 0)
        st = nca_fail(&e, NCA_E_IO, "%s: no .bin model files here or one folder down", dir);
    if (st == NCA_OK) {
        qsort(list, n, sizeof *list, cmp_str);
        printf("models in %s:\n", dir);
        printf("%-34s %-28s %-7s %2s %4s %-10s %6s  %s\n", "file", "name", "kind", "C", "H",
               "kernels", "bytes", "description");
        for (size_t i = 0; i < n; i++) {
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", dir, list[i]);
            if (nca_model_load(full, m, &e) != NCA_OK) {
                /* the reason without the path nca_model_load puts first */
                size_t pl = strlen(full);
                const char *why = strncmp(e.msg, full, pl) == 0 && e.msg[pl] == ':'
                                      ? e.msg + pl + 2 : e.msg;
                printf("%-34s not loaded: %s\n", list[i], why);
                continue;
            }
            char k[16];
            kernel_text(m->kernels, k, sizeof k);
            printf("%-34s %-28s %-7s %2u %4u %-10s %6zu  %s\n", list[i], m->name,
                   model_kind(list[i], m), m->channels, m->hidden, k, nca_model_file_size(m),
                   m->desc);
            loaded++;
        }
        if (!loaded)
            st = nca_fail(&e, NCA_E_FORMAT, "%s: none of the %zu .bin files is a model", dir, n);
    }
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
    free(m);
    if (st != NCA_OK) {
        fprintf(stderr, "nca-host: %s\n", e.msg);
        return EXIT_USAGE;
    }
    return 0;
}

/* A backend in use: its ops and handle. */
typedef struct run_backend {
    const nca_backend_ops *ops;
    nca_backend *b;
} run_backend;

static int open_backend(const char *name, const nca_backend_config *cfg, run_backend *rb,
                        nca_error *e)
{
    rb->ops = nca_backend_find(name);
    if (!rb->ops) {
        nca_fail(e, NCA_E_ARG, "unknown backend '%s' (see --list-backends)", name);
        return EXIT_USAGE;
    }
    nca_status st = rb->ops->open(&rb->b, cfg, e);
    return st == NCA_OK ? 0 : st == NCA_E_ARG ? EXIT_USAGE : EXIT_DEVICE;
}

static int status_exit(nca_status st)
{
    switch (st) {
    case NCA_OK: return 0;
    case NCA_E_DEVICE: return EXIT_DEVICE;
    case NCA_E_MISMATCH: return EXIT_MISMATCH;
    default: return EXIT_USAGE;
    }
}

/* Loads the model into the backend(s) and starts from a seed cell or --load-state. */
static nca_status setup(const host_opts *o, const nca_model *m, run_backend *rb, run_backend *vb,
                        uint32_t *seed_out, nca_error *e)
{
    const unsigned W = o->width, H = o->height;
    unsigned boundary = o->boundary >= 0 ? (unsigned)o->boundary : m->boundary;
    nca_grid saved = {0};
    nca_status st = NCA_OK;
    if (o->load_state) {
        if ((st = nca_grid_init(&saved, m, W, H, o->seed, 0, e)) != NCA_OK)
            return st;
        if ((st = nca_state_load(o->load_state, &saved, e)) != NCA_OK) {
            nca_grid_free(&saved);
            return st;
        }
    }
    uint32_t seed = o->load_state && !o->seed_set ? saved.seed : o->seed;
    run_backend *both[2] = {rb, vb};
    for (int k = 0; k < (vb ? 2 : 1) && st == NCA_OK; k++) {
        run_backend *x = both[k];
        st = x->ops->load(x->b, m, W, H, seed, boundary, e);
        if (st == NCA_OK)
            st = o->load_state ? x->ops->write_state(x->b, saved.s, saved.step, e)
                               : x->ops->seed(x->b, W / 2, H / 2, e);
    }
    nca_grid_free(&saved);
    *seed_out = seed;
    return st;
}

/* Steps o->steps on rb (and vb in lockstep when verifying), with the scripted damage. */
static nca_status batch(const host_opts *o, const nca_model *m, run_backend *rb,
                        run_backend *vb, const nca_target *target, nca_error *e)
{
    const unsigned W = o->width, H = o->height, C = m->channels;
    const size_t words = (size_t)W * H * C;
    int16_t *s = vb ? malloc(words * sizeof *s) : NULL, *s2 = vb ? malloc(words * sizeof *s2) : NULL;
    float *rgba = malloc((size_t)W * H * 4 * sizeof *rgba);
    nca_status st = NCA_OK;
    size_t ev = 0;
    if (!rgba || (vb && (!s || !s2)))
        st = nca_fail(e, NCA_E_NOMEM, "out of memory");
    /* one step call to the next event (damage, report) or the end; one step at a time only
     * when --verify compares every step */
    for (unsigned t = 0; t < o->steps && st == NCA_OK;) {
        for (; ev < o->script.n && o->script.ev[ev].step <= t && st == NCA_OK; ev++) {
            const nca_damage *d = &o->script.ev[ev].damage;
            st = rb->ops->damage(rb->b, d, e);
            if (st == NCA_OK && vb)
                st = vb->ops->damage(vb->b, d, e);
        }
        unsigned n = vb ? 1 : o->steps - t;
        if (ev < o->script.n && o->script.ev[ev].step - t < n)
            n = o->script.ev[ev].step - t;
        if (o->report && o->report - t % o->report < n)
            n = o->report - t % o->report;
        nca_step_stats ss;
        if (st != NCA_OK || (st = rb->ops->step(rb->b, n, &ss, e)) != NCA_OK)
            break;
        t += n;
        if (vb) {
            if ((st = vb->ops->step(vb->b, 1, NULL, e)) != NCA_OK ||
                (st = rb->ops->read_state(rb->b, s, e)) != NCA_OK ||
                (st = vb->ops->read_state(vb->b, s2, e)) != NCA_OK)
                break;
            if (memcmp(s, s2, words * sizeof *s) != 0) {
                size_t i = 0;
                while (s[i] == s2[i])
                    i++;
                st = nca_fail(e, NCA_E_MISMATCH,
                              "step %u: %s and %s differ at cell (%zu,%zu) channel %zu: %d vs %d",
                              t, rb->ops->name, vb->ops->name, (i / C) % W, i / C / W, i % C,
                              s[i], s2[i]);
                break;
            }
        }
        if (o->report && t % o->report == 0 && !o->quiet) {
            printf("step %u: alive-before %u active %u", t, ss.pre_alive, ss.active);
            if (ss.alive != NCA_STAT_UNKNOWN)
                printf(" alive %u", ss.alive);
            if (target->rgba) {
                if ((st = rb->ops->read_rgba(rb->b, rgba, e)) != NCA_OK)
                    break;
                printf(" mse %.6g", nca_mse_rgba(rgba, target));
            }
            printf("\n");
        }
    }
    free(s);
    free(s2);
    free(rgba);
    return st;
}

/* After the run: MSE against the target, --save-state, --save-frame. */
static nca_status finish(const host_opts *o, const nca_model *m, run_backend *rb, uint32_t seed,
                         const nca_target *target, nca_error *e)
{
    const unsigned W = o->width, H = o->height;
    nca_status st = NCA_OK;
    uint32_t steps = rb->ops->steps_done(rb->b);
    if (target->rgba) {
        float *rgba = malloc((size_t)W * H * 4 * sizeof *rgba);
        if (!rgba)
            return nca_fail(e, NCA_E_NOMEM, "out of memory");
        st = rb->ops->read_rgba(rb->b, rgba, e);
        if (st == NCA_OK && !o->quiet)
            printf("mse %.8f after %u steps\n", nca_mse_rgba(rgba, target), steps);
        free(rgba);
        if (st != NCA_OK)
            return st;
    }
    if (o->save_state) {
        nca_grid g;
        if ((st = nca_grid_init(&g, m, W, H, seed, 0, e)) != NCA_OK)
            return st;
        g.boundary = (uint8_t)(o->boundary >= 0 ? (unsigned)o->boundary : m->boundary);
        g.step = steps;
        st = rb->ops->read_state(rb->b, g.s, e);
        if (st == NCA_OK)
            st = nca_state_save(o->save_state, &g, e);
        nca_grid_free(&g);
        if (st != NCA_OK)
            return st;
    }
    if (o->save_frame) {
        uint8_t *px = malloc((size_t)W * H * 4);
        if (!px)
            return nca_fail(e, NCA_E_NOMEM, "out of memory");
        st = rb->ops->read_frame(rb->b, px, e);
        if (st == NCA_OK)
            st = nca_png_write(o->save_frame, px, W, H, e);
        free(px);
        if (st == NCA_OK && o->verbose)
            printf("wrote %s\n", o->save_frame);
    }
    return st;
}

/* The view to use: --view, or the first of window, term, none that works here. */
static const nca_view_ops *pick_view(const host_opts *o, int live_wanted, nca_error *e,
                                     nca_status *st)
{
    *st = NCA_OK;
    if (strcmp(o->view, "window") == 0)
        return &nca_view_sdl_ops;
    if (strcmp(o->view, "term") == 0)
        return &nca_view_term_ops;
    if (strcmp(o->view, "none") == 0 || !live_wanted)
        return NULL;
    const char *d = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    nca_error we;
    if (nca_view_sdl_probe(&we))
        return &nca_view_sdl_ops;
    if (!o->quiet && ((d && *d) || (wl && *wl)))
        fprintf(stderr, "nca-host: %s; trying the terminal\n", we.msg);
    if (isatty(STDOUT_FILENO) && isatty(STDIN_FILENO))
        return &nca_view_term_ops;
    (void)e;
    return NULL;
}

/* --backend auto: a board on USB that answers INFO, else the C model. */
static int open_auto(const host_opts *o, run_backend *rb, nca_error *e)
{
    char what[96];
    if (nca_usb_board_present(what, sizeof what)) {
        nca_error be;
        nca_backend_config cfg = {o->backend_arg, &o->board};
        if (open_backend("usb", &cfg, rb, &be) == 0) {
            if (!o->quiet)
                fprintf(stderr, "nca-host: %s found on USB: running on the board\n", what);
            return 0;
        }
        if (!o->quiet)
            fprintf(stderr, "nca-host: %s on USB did not answer (%s): running the C model\n",
                    what, be.msg);
    } else if (!o->quiet) {
        fprintf(stderr, "nca-host: no board found on USB: running the C model; "
                        "--backend vboard runs the Verilated RTL\n");
    }
    nca_backend_config none = {"", NULL};
    return open_backend("ref", &none, rb, e);
}

int main(int argc, char **argv)
{
    host_opts o;
    nca_error e = {""};
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        nca_script_free(&o.script);
        return rc;
    }
    if (o.list_models) {
        nca_script_free(&o.script);
        return list_models(o.list_dir);
    }
    if (o.board_info) {
        nca_link *l;
        nca_board_info bi;
        const char *kind = strcmp(o.backend, "auto") == 0 ? "usb" : o.backend;
        nca_backend_config cfg = {o.backend_arg, &o.board};
        nca_status st =
            nca_backend_find(kind)
                ? nca_board_open(kind, &cfg, &l, &bi, &e)
                : nca_fail(&e, NCA_E_ARG, "unknown backend '%s' (see --list-backends)", kind);
        nca_script_free(&o.script);
        if (st != NCA_OK) {
            fprintf(stderr, "nca-host: %s\n", e.msg);
            return st == NCA_E_ARG ? EXIT_USAGE : EXIT_DEVICE;
        }
        print_board_info(&bi, stdout);
        nca_link_close(l);
        return 0;
    }
    /* models: as loaded (the live view's keys rotate these); run: what runs, turned by --angle */
    nca_model *models = calloc(o.n_models, sizeof *models);
    nca_model *run = calloc(o.n_models, sizeof *run);
    if (!models || !run) {
        free(models);
        free(run);
        fprintf(stderr, "nca-host: out of memory\n");
        nca_script_free(&o.script);
        return EXIT_USAGE;
    }
    for (unsigned i = 0; i < o.n_models && !rc; i++)
        if (nca_model_load(o.models[i], &models[i], &e) != NCA_OK) {
            fprintf(stderr, "nca-host: %s\n", e.msg);
            rc = EXIT_USAGE;
        }
    for (unsigned i = 0; i < o.n_models && !rc; i++) {
        if (!o.angle_set)
            run[i] = models[i];
        else if (nca_model_rotate(&models[i], o.angle, &run[i], &e) != NCA_OK) {
            fprintf(stderr, "nca-host: --angle: %s: %s\n", o.models[i], e.msg);
            rc = EXIT_USAGE;
        }
    }
    if (!rc && o.info) {
        print_info(&run[0]);
        if (o.angle_set)
            printf("rotation:    %g degrees (layer 1 requantised)\n",
                   nca_angle_normalize(o.angle));
    }
    if (rc || o.info) {
        free(models);
        free(run);
        nca_script_free(&o.script);
        return rc;
    }
    const nca_model *m = &run[0];
    /* a live view when asked for, or by default when not verifying */
    int live_wanted = strcmp(o.view, "none") != 0 && !o.verify;
    nca_status vst;
    const nca_view_ops *view = pick_view(&o, live_wanted, &e, &vst);
    /* the live loop: with a view, or headless for a recording, a script or frames (--spf) */
    int live = view || o.record || o.events || o.spf_set;
    if (live && o.verify) {
        fprintf(stderr, "nca-host: --verify runs without the live loop (no --record, --events, --spf)\n");
        free(models);
        free(run);
        nca_script_free(&o.script);
        return EXIT_USAGE;
    }
    if (!o.steps_set)
        o.steps = view ? 0 : 1000;
    run_backend rb = {NULL, NULL}, vb = {NULL, NULL};
    nca_backend_config main_cfg = {o.backend_arg, &o.board}, verify_cfg = {"", &o.board};
    if (strcmp(o.backend, "auto") == 0)
        rc = open_auto(&o, &rb, &e);
    else
        rc = open_backend(o.backend, &main_cfg, &rb, &e);
    if (!rc && o.verify)
        rc = open_backend(o.verify, &verify_cfg, &vb, &e);
    nca_target target = {0, 0, NULL};
    nca_status st = NCA_OK;
    uint32_t seed = o.seed;
    if (!rc && o.target)
        st = nca_target_load(o.target, o.width, o.height, &target, &e);
    if (!rc && st == NCA_OK && o.target && o.angle_set)
        st = nca_target_rotate(&target, o.angle, o.width / 2, o.height / 2, &e);
    if (!rc && st == NCA_OK)
        st = setup(&o, m, &rb, o.verify ? &vb : NULL, &seed, &e);
    if (!rc && st == NCA_OK && !live) {
        st = batch(&o, m, &rb, o.verify ? &vb : NULL, &target, &e);
    } else if (!rc && st == NCA_OK) {
        nca_live_config lc;
        memset(&lc, 0, sizeof lc);
        lc.ops = rb.ops;
        lc.b = rb.b;
        for (unsigned i = 0; i < o.n_models; i++)
            lc.models[i] = &models[i];
        lc.n_models = o.n_models;
        lc.angle = o.angle_set ? o.angle : 0.0;
        lc.width = o.width;
        lc.height = o.height;
        lc.seed = seed;
        lc.boundary = o.boundary;
        lc.view = view;
        lc.scale = o.scale;
        lc.record = o.record;
        lc.script = &o.script;
        lc.steps = o.steps;
        lc.spf = o.spf;
        lc.radius = o.radius;
        lc.fps_cap = view == &nca_view_term_ops ? 30 : 60;
        lc.verbose = o.verbose;
        nca_live_result lr;
        st = nca_live_run(&lc, &lr, &e);
        m = &run[lr.current]; /* its shape (finish) is the same at any angle */
        if (st == NCA_OK && o.verbose)
            printf("live: %u steps in %.2f s (%.1f steps/s), %u frames (%.1f frames/s), %s, "
                   "%llu frames lost\n",
                   lr.steps_run, lr.seconds, lr.seconds > 0 ? lr.steps_run / lr.seconds : 0.0,
                   lr.frames, lr.seconds > 0 ? lr.frames / lr.seconds : 0.0,
                   lr.user_quit ? "quit by the user" : "step limit",
                   (unsigned long long)lr.frames_lost);
    }
    if (!rc && st == NCA_OK)
        st = finish(&o, m, &rb, seed, &target, &e);
    if (!rc)
        rc = status_exit(st);
    if (rc)
        fprintf(stderr, "nca-host: %s\n", e.msg);
    if (vb.b)
        vb.ops->close(vb.b);
    if (rb.b)
        rb.ops->close(rb.b);
    nca_target_free(&target);
    free(models);
    free(run);
    nca_script_free(&o.script);
    return rc;
}
