/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_view_term.c - the terminal view: 24-bit colour, two cells a character ('▀' with the
 * upper cell as foreground and the lower as background), sized to the terminal (an integer
 * zoom when it fits, sampled down when the terminal is smaller than the grid), a status
 * line at the bottom. Works over SSH: only escape sequences, no terminal library. Mouse
 * through xterm's SGR reporting (1002 + 1006): left button erases (drag too), right button
 * or shift-click seeds, the wheel sets the radius. Ctrl-C, SIGINT, SIGTERM and SIGHUP end
 * the view as a quit; close restores the terminal's modes and screen.
 */
#include "nca_view.h"
#include "nca_script.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* set by the signal handlers; a handler can reach nothing else */
static volatile sig_atomic_t term_signal;

struct nca_view {
    unsigned width, height;
    unsigned cols, rows;   /* the terminal */
    unsigned dw, dh, xoff; /* picture columns, half-rows, left margin */
    struct termios saved;
    struct sigaction old_int, old_term, old_hup;
    char *out;
    size_t out_cap, out_len;
    uint8_t in[65]; /* input not yet parsed, NUL-terminated */
    size_t in_len;
};

static void on_signal(int sig)
{
    term_signal = sig;
}

static void put(nca_view *v, const char *s, size_t n)
{
    if (v->out_len + n > v->out_cap)
        return; /* sized in layout() for the worst case; never reached */
    memcpy(v->out + v->out_len, s, n);
    v->out_len += n;
}

static void puts_(nca_view *v, const char *s)
{
    put(v, s, strlen(s));
}

static int flush_out(nca_view *v)
{
    size_t done = 0;
    while (done < v->out_len) {
        ssize_t w = write(STDOUT_FILENO, v->out + done, v->out_len - done);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    v->out_len = 0;
    return 0;
}

/* Picture size for the terminal's size; returns 0 when nothing fits. */
static int layout(nca_view *v)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col < 8 || ws.ws_row < 3)
        return 0;
    v->cols = ws.ws_col;
    v->rows = ws.ws_row;
    unsigned avail_h = (v->rows - 1) * 2; /* half-rows above the status line */
    unsigned s = 1;
    while (v->width * (s + 1) <= v->cols && v->height * (s + 1) <= avail_h)
        s++;
    v->dw = v->width * s <= v->cols ? v->width * s : v->cols;
    v->dh = v->height * s <= avail_h ? v->height * s : avail_h;
    v->xoff = (v->cols - v->dw) / 2;
    /* worst case: every character with both colours, plus a cursor move a row */
    size_t need = (size_t)(v->dh / 2 + 2) * (v->dw * 40 + 32) + v->cols + 64;
    if (need > v->out_cap) {
        char *p = realloc(v->out, need);
        if (!p)
            return 0;
        v->out = p;
        v->out_cap = need;
    }
    return 1;
}

static nca_status term_open(nca_view **out, unsigned width, unsigned height, unsigned scale,
                            nca_error *err)
{
    (void)scale;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return nca_fail(err, NCA_E_DEVICE, "terminal view: stdin and stdout must be a terminal");
    nca_view *v = calloc(1, sizeof *v);
    if (!v)
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    v->width = width;
    v->height = height;
    if (!layout(v)) {
        free(v->out);
        free(v);
        return nca_fail(err, NCA_E_DEVICE, "terminal view: terminal size unknown or too small");
    }
    if (tcgetattr(STDIN_FILENO, &v->saved) != 0) {
        free(v->out);
        free(v);
        return nca_fail(err, NCA_E_DEVICE, "terminal view: %s", strerror(errno));
    }
    struct termios raw = v->saved;
    raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    term_signal = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &v->old_int);
    sigaction(SIGTERM, &sa, &v->old_term);
    sigaction(SIGHUP, &sa, &v->old_hup);
    /* alternate screen, no cursor, button + drag mouse reports in SGR form, clear */
    puts_(v, "\033[?1049h\033[?25l\033[?1000h\033[?1002h\033[?1006h\033[0m\033[2J");
    flush_out(v);
    *out = v;
    return NCA_OK;
}

static void term_close(nca_view *v)
{
    if (!v)
        return;
    v->out_len = 0;
    puts_(v, "\033[?1006l\033[?1002l\033[?1000l\033[0m\033[?25h\033[?1049l");
    flush_out(v);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &v->saved);
    sigaction(SIGINT, &v->old_int, NULL);
    sigaction(SIGTERM, &v->old_term, NULL);
    sigaction(SIGHUP, &v->old_hup, NULL);
    free(v->out);
    free(v);
}

static const uint8_t *cell_at(const nca_view *v, const uint8_t *rgb, unsigned c, unsigned hr)
{
    unsigned x = c * v->width / v->dw, y = hr * v->height / v->dh;
    return rgb + ((size_t)y * v->width + x) * 3;
}

static nca_status term_present(nca_view *v, const uint8_t *rgb, const char *status,
                               nca_error *err)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && (ws.ws_col != v->cols || ws.ws_row != v->rows)) {
        if (!layout(v))
            return nca_fail(err, NCA_E_DEVICE, "terminal view: terminal too small");
        puts_(v, "\033[0m\033[2J");
    }
    char buf[96];
    for (unsigned r = 0; r * 2 < v->dh; r++) {
        int n = snprintf(buf, sizeof buf, "\033[%u;%uH", r + 1, v->xoff + 1);
        put(v, buf, (size_t)n);
        int fg = -1, bg = -1; /* colours in force, packed 0xRRGGBB; -2 default background */
        for (unsigned c = 0; c < v->dw; c++) {
            const uint8_t *t = cell_at(v, rgb, c, r * 2);
            int f = t[0] << 16 | t[1] << 8 | t[2];
            if (f != fg) {
                n = snprintf(buf, sizeof buf, "\033[38;2;%d;%d;%dm", t[0], t[1], t[2]);
                put(v, buf, (size_t)n);
                fg = f;
            }
            if (r * 2 + 1 < v->dh) {
                const uint8_t *b = cell_at(v, rgb, c, r * 2 + 1);
                int g = b[0] << 16 | b[1] << 8 | b[2];
                if (g != bg) {
                    n = snprintf(buf, sizeof buf, "\033[48;2;%d;%d;%dm", b[0], b[1], b[2]);
                    put(v, buf, (size_t)n);
                    bg = g;
                }
            } else if (bg != -2) {
                puts_(v, "\033[49m");
                bg = -2;
            }
            puts_(v, "\xe2\x96\x80"); /* U+2580 upper half block */
        }
    }
    int n = snprintf(buf, sizeof buf, "\033[%u;1H\033[0m\033[2K", v->rows);
    put(v, buf, (size_t)n);
    size_t sl = strlen(status);
    put(v, status, sl < v->cols ? sl : v->cols);
    if (flush_out(v) != 0)
        return nca_fail(err, NCA_E_DEVICE, "terminal view: write: %s", strerror(errno));
    return NCA_OK;
}

/* one SGR mouse report "<b;x;y" + M/m (after ESC [) into an input; 0 if it is none */
static int mouse(nca_view *v, int b, int x, int y, int press, nca_input *o)
{
    if (b & 64) { /* wheel */
        o->kind = NCA_IN_RADIUS;
        o->delta = (b & 1) ? -1 : 1;
        return press;
    }
    int button = b & 3, motion = (b & 32) != 0, shift = (b & 4) != 0;
    if (!press || x < 1 || y < 1)
        return 0;
    unsigned c = (unsigned)x - 1, hr = ((unsigned)y - 1) * 2;
    if (c < v->xoff || c - v->xoff >= v->dw || hr >= v->dh)
        return 0;
    o->x = (int)((c - v->xoff) * v->width / v->dw);
    o->y = (int)(hr * v->height / v->dh);
    if (button == 0 && !shift) {
        o->kind = NCA_IN_ERASE;
        return 1;
    }
    if ((button == 2 || (button == 0 && shift)) && !motion) {
        o->kind = NCA_IN_SEED;
        return 1;
    }
    return 0;
}

static int term_poll(nca_view *v, nca_input *in, int cap, unsigned timeout_ms)
{
    int n = 0;
    if (term_signal) {
        in[n].kind = NCA_IN_QUIT;
        return 1;
    }
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    int pr = poll(&p, 1, (int)timeout_ms);
    if (term_signal || (pr > 0 && (p.revents & (POLLHUP | POLLERR)))) {
        in[n].kind = NCA_IN_QUIT;
        return 1;
    }
    if (pr > 0) {
        ssize_t r = read(STDIN_FILENO, v->in + v->in_len, sizeof v->in - 1 - v->in_len);
        if (r > 0)
            v->in_len += (size_t)r;
    }
    v->in[v->in_len] = '\0';
    size_t i = 0;
    while (i < v->in_len && n < cap) {
        uint8_t ch = v->in[i];
        nca_input *o = &in[n];
        if (ch == 0x1B) {
            if (i + 1 == v->in_len) { /* a lone ESC: the Esc key */
                o->kind = NCA_IN_KEY;
                o->key = NCA_KEY_ESC;
                n++;
                i++;
                continue;
            }
            if (v->in[i + 1] != '[') {
                i++;
                continue;
            }
            size_t j = i + 2; /* find the final byte of the sequence */
            while (j < v->in_len && (v->in[j] < 0x40 || v->in[j] > 0x7E))
                j++;
            if (j == v->in_len)
                break; /* incomplete: wait for the rest */
            int b, x, y;
            char fin;
            if (v->in[i + 2] == '<' &&
                sscanf((const char *)v->in + i + 3, "%d;%d;%d%c", &b, &x, &y, &fin) == 4 &&
                (fin == 'M' || fin == 'm') && mouse(v, b, x, y, fin == 'M', o))
                n++;
            i = j + 1;
        } else if (ch == 0x03) { /* Ctrl-C */
            o->kind = NCA_IN_QUIT;
            n++;
            i++;
        } else {
            if (ch >= ' ' && ch < 0x7F) {
                o->kind = NCA_IN_KEY;
                o->key = ch;
                n++;
            }
            i++;
        }
    }
    memmove(v->in, v->in + i, v->in_len - i);
    v->in_len -= i;
    if (v->in_len == sizeof v->in - 1) /* garbage that never completes */
        v->in_len = 0;
    return n;
}

const nca_view_ops nca_view_term_ops = {"term", term_open, term_close, term_present, term_poll};
