/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_distill.c - libFuzzer target: the Distill JSON importer of nca-convert
 * (nca_distill_parse, then nca_quantize with the default formats as nca-convert does). A
 * model that parses and quantises must validate. */
#include "nca.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nca_model_f mf;
    static nca_model m;
    nca_error e = {""};
    if (nca_distill_parse((const char *)data, size, &mf, &e) != NCA_OK) {
        if (!e.msg[0]) {
            fprintf(stderr, "fuzz_distill: an error without a message\n");
            abort();
        }
        return 0;
    }
    nca_qparams q;
    nca_qparams_default(&q);
    if (nca_quantize(&mf, &q, &m, &e) == NCA_OK && nca_model_validate(&m, &e) != NCA_OK) {
        fprintf(stderr, "fuzz_distill: a quantised model does not validate: %s\n", e.msg);
        abort();
    }
    return 0;
}
