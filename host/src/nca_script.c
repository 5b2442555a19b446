/* SPDX-License-Identifier: Apache-2.0 */
/* nca_script.c - the --events file of nca-host (nca_script.h). */
#include "nca_script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nca_status nca_script_add(nca_script *s, const nca_event *e, nca_error *err)
{
    if (s->n >= NCA_SCRIPT_MAX_EVENTS)
        return nca_fail(err, NCA_E_RANGE, "more than %u scripted events", NCA_SCRIPT_MAX_EVENTS);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        nca_event *p = realloc(s->ev, cap * sizeof *p);
        if (!p)
            return nca_fail(err, NCA_E_NOMEM, "out of memory");
        s->ev = p;
        s->cap = cap;
    }
    s->ev[s->n++] = *e;
    return NCA_OK;
}

/* A decimal number 0..max at *p, advancing *p; 0 when there is none. */
static int take_num(const char **p, long max, long *out)
{
    const char *q = *p;
    if (*q < '0' || *q > '9')
        return 0;
    long v = 0;
    while (*q >= '0' && *q <= '9') {
        v = v * 10 + (*q - '0');
        if (v > max)
            return 0;
        q++;
    }
    *p = q;
    *out = v;
    return 1;
}

/* "X,Y" cell coordinates. */
static int take_xy(const char **p, int *x, int *y)
{
    long a, b;
    if (!take_num(p, NCA_MAX_GRID - 1, &a) || **p != ',')
        return 0;
    (*p)++;
    if (!take_num(p, NCA_MAX_GRID - 1, &b))
        return 0;
    *x = (int)a;
    *y = (int)b;
    return 1;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* One line (NUL-terminated, no newline); *has = 0 for a blank or comment line. */
static nca_status parse_line(char *line, nca_event *e, int *has, nca_error *err)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    size_t n = strlen(line);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
        line[--n] = '\0';
    const char *p = skip_ws(line);
    *has = 0;
    if (!*p)
        return NCA_OK;
    memset(e, 0, sizeof *e);
    long step;
    if (!take_num(&p, 100000000L, &step) || (*p != ' ' && *p != '\t'))
        return nca_fail(err, NCA_E_FORMAT, "expected STEP ACTION (a step 0..100000000 first)");
    e->step = (uint32_t)step;
    p = skip_ws(p);
    const char *verb = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    size_t vl = (size_t)(p - verb);
    p = skip_ws(p);
    if (vl == 5 && strncmp(verb, "click", 5) == 0) {
        e->kind = NCA_EV_CLICK;
        e->r = -1;
        if (!take_xy(&p, &e->x, &e->y))
            return nca_fail(err, NCA_E_FORMAT, "click: expected X,Y [r=R]");
        p = skip_ws(p);
        if (*p) {
            long r;
            if (strncmp(p, "r=", 2) != 0)
                return nca_fail(err, NCA_E_FORMAT, "click: expected r=R after X,Y");
            p += 2;
            if (!take_num(&p, NCA_MAX_GRID, &r) || r < 1)
                return nca_fail(err, NCA_E_FORMAT, "click: radius 1..%d", NCA_MAX_GRID);
            e->r = (int)r;
        }
    } else if (vl == 4 && strncmp(verb, "seed", 4) == 0) {
        e->kind = NCA_EV_SEED;
        if (!take_xy(&p, &e->x, &e->y))
            return nca_fail(err, NCA_E_FORMAT, "seed: expected X,Y");
    } else if (vl == 3 && strncmp(verb, "key", 3) == 0) {
        e->kind = NCA_EV_KEY;
        const char *k = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t kl = (size_t)(p - k);
        if (kl == 1 && *k > ' ' && *k < 0x7F)
            e->key = *k;
        else if (kl == 5 && strncmp(k, "space", 5) == 0)
            e->key = ' ';
        else if (kl == 3 && strncmp(k, "esc", 3) == 0)
            e->key = NCA_KEY_ESC;
        else
            return nca_fail(err, NCA_E_FORMAT, "key: expected one character, space or esc");
    } else if (vl == 6 && strncmp(verb, "damage", 6) == 0) {
        e->kind = NCA_EV_DAMAGE;
        const char *d = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        char spec[128];
        if ((size_t)(p - d) >= sizeof spec)
            return nca_fail(err, NCA_E_FORMAT, "damage: SPEC too long");
        memcpy(spec, d, (size_t)(p - d));
        spec[p - d] = '\0';
        nca_status st = nca_damage_parse(spec, &e->damage, err);
        if (st != NCA_OK)
            return st;
    } else {
        return nca_fail(err, NCA_E_FORMAT, "unknown action '%.*s' (click, seed, key, damage)",
                        (int)(vl > 20 ? 20 : vl), verb);
    }
    if (*skip_ws(p))
        return nca_fail(err, NCA_E_FORMAT, "unexpected '%.20s' at the end", skip_ws(p));
    *has = 1;
    return NCA_OK;
}

nca_status nca_script_parse(const char *text, size_t len, const char *name, nca_script *s,
                            nca_error *err)
{
    char line[256];
    size_t pos = 0;
    for (unsigned no = 1; pos < len; no++) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        if (end - pos >= sizeof line)
            return nca_fail(err, NCA_E_FORMAT, "%s:%u: line longer than %zu bytes", name, no,
                            sizeof line - 1);
        memcpy(line, text + pos, end - pos);
        line[end - pos] = '\0';
        if (memchr(line, '\0', end - pos))
            return nca_fail(err, NCA_E_FORMAT, "%s:%u: NUL byte in the line", name, no);
        nca_event e;
        int has;
        nca_error le;
        if (parse_line(line, &e, &has, &le) != NCA_OK)
            return nca_fail(err, NCA_E_FORMAT, "%s:%u: %s", name, no, le.msg);
        if (has) {
            nca_status st = nca_script_add(s, &e, err);
            if (st != NCA_OK)
                return st;
        }
        pos = end + 1;
    }
    return NCA_OK;
}

nca_status nca_script_load(const char *path, nca_script *s, nca_error *err)
{
    char *buf;
    size_t len;
    nca_status st = nca_read_file(path, 1u << 20, &buf, &len, err);
    if (st != NCA_OK)
        return st;
    st = nca_script_parse(buf, len, path, s, err);
    free(buf);
    return st;
}

/* insertion sort keeps equal steps in order; scripts are short and mostly sorted */
void nca_script_sort(nca_script *s)
{
    for (size_t i = 1; i < s->n; i++) {
        nca_event e = s->ev[i];
        size_t j = i;
        while (j > 0 && s->ev[j - 1].step > e.step) {
            s->ev[j] = s->ev[j - 1];
            j--;
        }
        s->ev[j] = e;
    }
}

void nca_script_free(nca_script *s)
{
    free(s->ev);
    s->ev = NULL;
    s->n = s->cap = 0;
}
