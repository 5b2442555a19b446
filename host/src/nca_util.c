/* SPDX-License-Identifier: Apache-2.0 */
/* nca_util.c - the library's error contract and whole-file I/O: nca_fail fills an nca_error
 * and returns its status (the one place a message is formatted), nca_read_file reads a whole
 * file with a size bound, nca_write_file replaces one whole or not at all; nca_write_target
 * says where (PATH.part and a rename; in place for a pipe, a device or a link, as cp would). */
#include "nca.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

nca_status nca_fail(nca_error *err, nca_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

nca_status nca_read_file(const char *path, size_t max, char **buf, size_t *len, nca_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nca_fail(err, NCA_E_IO, "%s: %s", path, strerror(errno));
    char *b = malloc(max + 2);
    if (!b) {
        fclose(f);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    size_t n = fread(b, 1, max + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > max) {
        free(b);
        return bad ? nca_fail(err, NCA_E_IO, "%s: read error", path)
                   : nca_fail(err, NCA_E_FORMAT, "%s: larger than %zu bytes", path, max);
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return NCA_OK;
}

nca_status nca_write_target(const char *path, char *out, size_t size, int *renamed,
                            nca_error *err)
{
    struct stat sb, lb;
    /* Only a regular file is replaced through PATH.part and a rename. A pipe or a device has
     * no directory entry to replace (PATH.part beside /dev/null cannot be made, or as root
     * would be renamed over the device), and a rename over a link would replace the link
     * (/dev/stdout, a link to /proc/self/fd/1, turned into a file): those are written in
     * place. */
    int in_place = (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) ||
                   (lstat(path, &lb) == 0 && S_ISLNK(lb.st_mode));
    if ((size_t)snprintf(out, size, in_place ? "%s" : "%s.part", path) >= size)
        return nca_fail(err, NCA_E_ARG, "%.64s...: path too long", path);
    *renamed = !in_place;
    return NCA_OK;
}

nca_status nca_write_file(const char *path, const void *buf, size_t len, nca_error *err)
{
    char out[4096];
    int renamed = 0;
    nca_status st = nca_write_target(path, out, sizeof out, &renamed, err);
    if (st != NCA_OK)
        return st;
    FILE *f = fopen(out, "wb");
    if (!f)
        return nca_fail(err, NCA_E_IO, "%s: %s", out, strerror(errno));
    int ok = fwrite(buf, 1, len, f) == len;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && renamed && rename(out, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        if (renamed)
            remove(out);
        return nca_fail(err, NCA_E_IO, "%s: write failed: %s", path, strerror(e));
    }
    return NCA_OK;
}

int nca_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return 0;
    *out = v;
    return 1;
}
