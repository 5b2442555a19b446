/* SPDX-License-Identifier: Apache-2.0 */
/* nca-convert - turn other NCA model formats into nca-fpga .bin models. */
#include "nca.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *o)
{
    fprintf(o,
            "usage: nca-convert --from distill IN.json -o OUT.bin [options]\n"
            "       nca-convert --from bin IN.bin -o OUT.bin [--name TEXT] [--desc TEXT] [--rotate DEG]\n"
            "Convert a model into the nca-fpga format (docs/model-format.md), or rewrite one.\n"
            "\n"
            "Input and output:\n"
            "  -f, --from FORMAT     distill (the Distill demo's 8-bit JSON, webgl_models8), or\n"
            "                        bin (an nca-fpga model: its weights and step config kept\n"
            "                        as they are, to change its name, description or rotation;\n"
            "                        OUT may be IN, it is replaced whole)\n"
            "  -o, --output FILE     the .bin to write\n"
            "      --name TEXT       model name, at most 32 characters (default: distill: the\n"
            "                        input's file name; bin: the model's own)\n"
            "      --desc TEXT       one-line description, at most 128 printable characters\n"
            "                        (default: distill: none; bin: the model's own)\n"
            "      --rotate DEG      turn the perception by DEG degrees as nca-host --angle does\n"
            "                        (layer 1 requantised; Sobel models only)\n"
            "\n"
            "Quantisation (--from distill; docs/fixed-point.md; defaults chosen by measurement):\n"
            "      --state-frac N    state int16 fraction bits (default 11)\n"
            "      --hid-frac N      hidden uint8 fraction bits (default 7)\n"
            "      --calibrate       choose both from float runs of the model instead: the\n"
            "                        finest formats that hold the largest |state| and hidden\n"
            "                        activation seen (4 seeds, 72x72; docs/fixed-point.md,\n"
            "                        \"Why converted models drift\"); prints what it saw\n"
            "      --calib-steps N   steps of each calibration run (default 1000)\n"
            "\n"
            "Step config stored in the model (--from distill):\n"
            "      --boundary MODE   zero | wrap (default zero, as the TF notebook)\n"
            "      --fire-rate P     update probability (default 0.5)\n"
            "      --alive T         alpha threshold (default 0.1)\n"
            "      --all-active      no alive masking: every cell is updated and kept (PDE-\n"
            "                        like models; format version 2)\n"
            "\n"
            "  -h, --help            this text\n"
            "Exit codes: 0 ok, 1 usage or file error.\n");
}


int main(int argc, char **argv)
{
    enum { O_NAME = 256, O_DESC, O_SF, O_HF, O_BOUNDARY, O_FIRE, O_ALIVE, O_ROTATE, O_CALIB,
           O_CALIB_STEPS, O_ALL };
    static const struct option lo[] = {
        {"from", required_argument, 0, 'f'},      {"output", required_argument, 0, 'o'},
        {"name", required_argument, 0, O_NAME},   {"desc", required_argument, 0, O_DESC},
        {"state-frac", required_argument, 0, O_SF}, {"hid-frac", required_argument, 0, O_HF}, {"boundary", required_argument, 0, O_BOUNDARY},
        {"fire-rate", required_argument, 0, O_FIRE}, {"alive", required_argument, 0, O_ALIVE},
        {"all-active", no_argument, 0, O_ALL},
        {"rotate", required_argument, 0, O_ROTATE},
        {"calibrate", no_argument, 0, O_CALIB}, {"calib-steps", required_argument, 0, O_CALIB_STEPS},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    const char *from = NULL, *out = NULL;
    nca_qparams q;
    nca_qparams_default(&q);
    q.name = NULL;
    q.desc = NULL;
    double v, rotate = 0.0;
    int c, quant_opts = 0, rotate_set = 0, calibrate = 0, fmt_set = 0;
    nca_calib cal = {72, 72, 1000, 4, 0.0f, 0.0f};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:o:h", lo, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 'f': from = optarg; break;
        case 'o': out = optarg; break;
        case O_NAME: q.name = optarg; break;
        case O_DESC: q.desc = optarg; break;
        case O_ROTATE:
            if (nca_parse_double(optarg, -1e6, 1e6, &v)) { rotate = v; rotate_set = 1; } else bad = "--rotate";
            break;
        case O_CALIB: calibrate = 1; break;
        case O_ALL: q.flags |= NCA_FLAG_ALL_ACTIVE; break;
        case O_CALIB_STEPS:
            if (nca_parse_double(optarg, 1, 100000, &v)) cal.steps = (unsigned)v; else bad = "--calib-steps";
            break;
        case O_SF: if (nca_parse_double(optarg, 4, 14, &v)) q.state_frac = (unsigned)v; else bad = "--state-frac"; break;
        case O_HF: if (nca_parse_double(optarg, 0, 15, &v)) q.hid_frac = (unsigned)v; else bad = "--hid-frac"; break;
        case O_FIRE: if (nca_parse_double(optarg, 0, 1, &v)) q.fire_rate = v; else bad = "--fire-rate"; break;
        case O_ALIVE: if (nca_parse_double(optarg, 0, 16, &v)) q.alive_threshold = v; else bad = "--alive"; break;
        case O_BOUNDARY:
            if (strcmp(optarg, "zero") == 0) q.boundary = NCA_BOUNDARY_ZERO;
            else if (strcmp(optarg, "wrap") == 0) q.boundary = NCA_BOUNDARY_WRAP;
            else bad = "--boundary";
            break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "nca-convert: option '%s' needs a value\n", argv[optind - 1]);
            return 1;
        default:
            fprintf(stderr, "nca-convert: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 1;
        }
        quant_opts |= c == O_SF || c == O_HF || c == O_FIRE || c == O_ALIVE || c == O_BOUNDARY ||
                      c == O_ALL || c == O_CALIB || c == O_CALIB_STEPS;
        fmt_set |= c == O_SF || c == O_HF;
        if (bad) {
            fprintf(stderr, "nca-convert: bad %s '%s'\n", bad, optarg);
            return 1;
        }
    }
    if (!from || !out || optind != argc - 1) {
        fprintf(stderr, "nca-convert: need --from FORMAT, -o OUT and one input (see --help)\n");
        return 1;
    }
    int from_bin = strcmp(from, "bin") == 0;
    if (!from_bin && strcmp(from, "distill") != 0) {
        fprintf(stderr, "nca-convert: unknown input format '%s' (distill, bin)\n", from);
        return 1;
    }
    if (from_bin && quant_opts) {
        fprintf(stderr, "nca-convert: --from bin keeps the model's quantisation and step config "
                        "(only --name, --desc, --rotate apply)\n");
        return 1;
    }
    if (calibrate && fmt_set) {
        fprintf(stderr, "nca-convert: --calibrate chooses --state-frac and --hid-frac itself\n");
        return 1;
    }
    const char *in = argv[optind];
    char name[NCA_NAME_LEN + 1];
    if (!q.name && !from_bin) {
        const char *base = strrchr(in, '/');
        base = base ? base + 1 : in;
        snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "."), base);
        q.name = name;
    }
    if ((q.name && strlen(q.name) > NCA_NAME_LEN) || (q.desc && strlen(q.desc) > NCA_DESC_LEN)) {
        fprintf(stderr, "nca-convert: name over %d or description over %d characters\n",
                NCA_NAME_LEN, NCA_DESC_LEN);
        return 1;
    }
    nca_error e;
    char *json = NULL;
    size_t len = 0;
    nca_model_f *mf = malloc(sizeof *mf);
    nca_model *m = malloc(sizeof *m);
    int rc = 1;
    if (!q.desc && !from_bin)
        q.desc = "";
    if (!mf || !m)
        fprintf(stderr, "nca-convert: out of memory\n");
    else if (from_bin && nca_model_load(in, m, &e) != NCA_OK)
        fprintf(stderr, "nca-convert: %s\n", e.msg);
    else if (!from_bin && nca_read_file(in, 16u << 20, &json, &len, &e) != NCA_OK)
        fprintf(stderr, "nca-convert: %s\n", e.msg);
    else if (!from_bin && nca_distill_parse(json, len, mf, &e) != NCA_OK)
        fprintf(stderr, "nca-convert: %s: %s\n", in, e.msg);
    else if (calibrate && nca_calibrate(mf, &q, &cal, &e) != NCA_OK)
        fprintf(stderr, "nca-convert: %s: calibration: %s\n", in, e.msg);
    else if (!from_bin && nca_quantize(mf, &q, m, &e) != NCA_OK)
        fprintf(stderr, "nca-convert: %s: %s\n", in, e.msg);
    else if (rotate_set && nca_model_rotate(m, rotate, m, &e) != NCA_OK)
        fprintf(stderr, "nca-convert: %s: %s\n", in, e.msg);
    else {
        if (calibrate)
            printf("nca-convert: calibrated on %u float runs of %u steps (%ux%u): largest "
                   "|state| %.3f, largest hidden %.3f: state-frac %u, hid-frac %u\n",
                   cal.runs, cal.steps, cal.width, cal.height, cal.state_max, cal.hidden_max,
                   q.state_frac, q.hid_frac);
        if (from_bin && q.name) {
            memset(m->name, 0, sizeof m->name);
            memcpy(m->name, q.name, strlen(q.name));
        }
        if (from_bin && q.desc) {
            memset(m->desc, 0, sizeof m->desc);
            memcpy(m->desc, q.desc, strlen(q.desc));
        }
        if (nca_model_save(out, m, &e) != NCA_OK) /* validates: printable text */
            fprintf(stderr, "nca-convert: %s\n", e.msg);
        else
            rc = 0;
    }
    free(json);
    free(mf);
    free(m);
    return rc;
}
