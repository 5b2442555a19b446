/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_script.c - libFuzzer target: the text nca-host reads from files and options: the
 * `--events` script (nca_script_parse), and each line of the input as a `--damage` spec
 * (nca_damage_parse) and as board options (`--backend KIND:ARG`, nca_board_options_parse).
 * An error always comes with a message; a parsed script sorts by step. */
#include "nca_board.h"
#include "nca_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_script: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nca_error e = {""};
    nca_script s = {0};
    if (nca_script_parse((const char *)data, size, "fuzz", &s, &e) == NCA_OK) {
        nca_script_sort(&s);
        for (size_t i = 1; i < s.n; i++)
            check(s.ev[i - 1].step <= s.ev[i].step, "a sorted script out of order");
    } else {
        check(e.msg[0] != '\0', "a script error without a message");
    }
    nca_script_free(&s);

    char line[2048];
    size_t pos = 0;
    while (pos < size) {
        size_t n = 0;
        while (pos + n < size && data[pos + n] != '\n' && n < sizeof line - 1)
            n++;
        memcpy(line, data + pos, n);
        line[n] = '\0';
        pos += n + 1;
        nca_damage d;
        e.msg[0] = '\0';
        if (nca_damage_parse(line, &d, &e) != NCA_OK)
            check(e.msg[0] != '\0', "a damage error without a message");
        static const char *const kinds[] = {"serial", "usb", "vboard"};
        for (unsigned k = 0; k < 3; k++) {
            nca_board_options o;
            nca_board_options_clear(&o);
            e.msg[0] = '\0';
            if (nca_board_options_parse(kinds[k], line, &o, &e) != NCA_OK)
                check(e.msg[0] != '\0', "a board option error without a message");
        }
    }
    return 0;
}
