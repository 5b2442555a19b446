/* SPDX-License-Identifier: Apache-2.0 */
/* nca_transport.c - the `serial` (tty) and `vboard` (spawned virtual board) transports. */
#include "nca_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct tty_ctx {
    int fd;
    char path[256];
    /* vboard only */
    pid_t child;  /* 0 when none */
    int child_in; /* write end of the board's stdin */
    int child_out; /* read end of the board's stdout */
} tty_ctx;

void nca_transport_close(nca_transport *t)
{
    if (t && t->close)
        t->close(t);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* ---- serial -------------------------------------------------------------------------------- */
static speed_t baud_constant(unsigned baud)
{
    static const struct {
        unsigned baud;
        speed_t code;
    } table[] = {
        {9600, B9600}, {19200, B19200}, {38400, B38400}, {57600, B57600}, {115200, B115200},
        {230400, B230400},
#ifdef B460800
        {460800, B460800},
#endif
#ifdef B500000
        {500000, B500000},
#endif
#ifdef B921600
        {921600, B921600},
#endif
#ifdef B1000000
        {1000000, B1000000},
#endif
#ifdef B1500000
        {1500000, B1500000},
#endif
#ifdef B2000000
        {2000000, B2000000},
#endif
#ifdef B3000000
        {3000000, B3000000},
#endif
#ifdef B4000000
        {4000000, B4000000},
#endif
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].baud == baud)
            return table[i].code;
    return B0;
}

static nca_status tty_write(nca_transport *t, const uint8_t *buf, size_t n, nca_error *err)
{
    tty_ctx *c = t->ctx;
    size_t done = 0;
    while (done < n) {
        ssize_t k = write(c->fd, buf + done, n - done);
        if (k > 0) {
            done += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return nca_fail(err, NCA_E_DEVICE, "%s: write: %s", c->path, strerror(errno));
        struct pollfd p = {c->fd, POLLOUT, 0};
        int r = poll(&p, 1, 10000); /* a simulated board drains at its UART's pace */
        if (r == 0)
            return nca_fail(err, NCA_E_DEVICE, "%s: write stalled for 10 s (board not reading?)",
                            c->path);
        if (r < 0 && errno != EINTR)
            return nca_fail(err, NCA_E_DEVICE, "%s: poll: %s", c->path, strerror(errno));
    }
    return NCA_OK;
}

/* Empties the virtual board's stdout (its chatter is not ours to show). */
static void drain_child(tty_ctx *c)
{
    if (c->child_out < 0)
        return;
    char junk[512];
    for (;;) {
        ssize_t k = read(c->child_out, junk, sizeof junk);
        if (k > 0)
            continue;
        if (k == 0) { /* the board closed its stdout */
            close(c->child_out);
            c->child_out = -1;
        }
        return;
    }
}

static nca_status tty_read(nca_transport *t, uint8_t *buf, size_t cap, size_t *got,
                           unsigned timeout_ms, nca_error *err)
{
    tty_ctx *c = t->ctx;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *got = 0;
    int hup = 0;
    for (;;) {
        drain_child(c);
        ssize_t k = read(c->fd, buf, cap);
        if (k > 0) {
            *got = (size_t)k;
            return NCA_OK;
        }
        /* raw mode with VMIN = VTIME = 0: "no data" may read as 0 bytes; a hang-up shows in
         * poll, and as EIO on the slave side of a pty whose master closed */
        if ((k < 0 && errno == EIO) || (k == 0 && hup))
            return nca_fail(err, NCA_E_DEVICE, "%s: the device hung up (board gone?)", c->path);
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return nca_fail(err, NCA_E_DEVICE, "%s: read: %s", c->path, strerror(errno));
        long left = (long)timeout_ms - elapsed_ms(&t0);
        if (left <= 0)
            return NCA_OK;
        struct pollfd p = {c->fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno != EINTR)
            return nca_fail(err, NCA_E_DEVICE, "%s: poll: %s", c->path, strerror(errno));
        if (r > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
            if (!(p.revents & POLLIN))
                return nca_fail(err, NCA_E_DEVICE, "%s: the device hung up (board gone?)",
                                c->path);
            hup = 1; /* read what is left, then report it */
        }
    }
}

static nca_status tty_flush(nca_transport *t, nca_error *err)
{
    tty_ctx *c = t->ctx;
    if (tcflush(c->fd, TCIOFLUSH) != 0)
        return nca_fail(err, NCA_E_DEVICE, "%s: tcflush: %s", c->path, strerror(errno));
    return NCA_OK;
}

static void tty_close(nca_transport *t)
{
    tty_ctx *c = t->ctx;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    free(t);
}

/* Opens path as a raw 8N1 tty into a fresh transport (ctx->child unset). */
static nca_status open_tty(nca_transport **out, tty_ctx **ctx_out, const char *name,
                           const char *path, unsigned baud, nca_error *err)
{
    if (baud == 0)
        return nca_fail(err, NCA_E_ARG, "baud rate 0");
    nca_transport *t = calloc(1, sizeof *t);
    tty_ctx *c = calloc(1, sizeof *c);
    if (!t || !c) {
        free(t);
        free(c);
        return nca_fail(err, NCA_E_NOMEM, "out of memory");
    }
    c->child_in = c->child_out = -1;
    snprintf(c->path, sizeof c->path, "%s", path);
    c->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    nca_status st = NCA_OK;
    struct termios tio;
    if (c->fd < 0)
        st = nca_fail(err, NCA_E_DEVICE, "serial port %s: %s", path, strerror(errno));
    else if (!isatty(c->fd))
        st = nca_fail(err, NCA_E_DEVICE, "serial port %s: not a tty", path);
    else if (tcgetattr(c->fd, &tio) != 0)
        st = nca_fail(err, NCA_E_DEVICE, "serial port %s: tcgetattr: %s", path, strerror(errno));
    if (st == NCA_OK) {
        cfmakeraw(&tio);
        tio.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CSIZE);
#ifdef CRTSCTS
        tio.c_cflag &= ~(tcflag_t)CRTSCTS;
#endif
        tio.c_cflag |= CS8 | CLOCAL | CREAD;
        tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
        tio.c_cc[VMIN] = 0;
        tio.c_cc[VTIME] = 0;
        speed_t code = baud_constant(baud);
        if (code != B0) {
            cfsetispeed(&tio, code);
            cfsetospeed(&tio, code);
        }
        if (tcsetattr(c->fd, TCSANOW, &tio) != 0)
            st = nca_fail(err, NCA_E_DEVICE, "serial port %s: tcsetattr: %s", path,
                          strerror(errno));
        else if (code == B0 && nca_serial_set_custom_baud(c->fd, baud) != 0)
            st = nca_fail(err, NCA_E_DEVICE, "serial port %s: baud %u not supported (%s)", path,
                          baud, strerror(errno));
        else
            tcflush(c->fd, TCIOFLUSH);
    }
    if (st != NCA_OK) {
        if (c->fd >= 0)
            close(c->fd);
        free(c);
        free(t);
        return st;
    }
    t->name = name;
    t->write = tty_write;
    t->read = tty_read;
    t->flush = tty_flush;
    t->close = tty_close;
    t->ctx = c;
    *out = t;
    *ctx_out = c;
    return NCA_OK;
}

nca_status nca_transport_open_serial(nca_transport **out, const char *path, unsigned baud,
                                     nca_error *err)
{
    tty_ctx *c;
    return open_tty(out, &c, "serial", path, baud, err);
}

/* ---- vboard ------------------------------------------------------------------------------- */
/* Reaps the board: EOF on its stdin asks it to exit; after 3 s it is terminated. */
static void stop_child(tty_ctx *c)
{
    if (c->child_in >= 0) {
        close(c->child_in);
        c->child_in = -1;
    }
    if (c->child > 0) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int sig_sent = 0;
        for (;;) {
            int status;
            pid_t r = waitpid(c->child, &status, WNOHANG);
            if (r == c->child || (r < 0 && errno != EINTR))
                break;
            drain_child(c);
            long ms = elapsed_ms(&t0);
            if (ms > 3000 && sig_sent == 0) {
                kill(c->child, SIGTERM);
                sig_sent = 1;
            } else if (ms > 5000 && sig_sent == 1) {
                kill(c->child, SIGKILL);
                sig_sent = 2;
            }
            struct timespec nap = {0, 5000000};
            nanosleep(&nap, NULL);
        }
        c->child = 0;
    }
    if (c->child_out >= 0) {
        close(c->child_out);
        c->child_out = -1;
    }
}

static void vboard_close(nca_transport *t)
{
    tty_ctx *c = t->ctx;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    stop_child(c);
    tty_close(t);
}

static void set_cloexec(int fd)
{
    int f = fcntl(fd, F_GETFD);
    if (f >= 0)
        fcntl(fd, F_SETFD, f | FD_CLOEXEC);
}

nca_status nca_transport_open_vboard(nca_transport **out, const char *binary,
                                     unsigned start_ms, nca_error *err)
{
    if (access(binary, X_OK) != 0)
        return nca_fail(err, NCA_E_DEVICE, "virtual board %s: %s (build it: make vboard)",
                        binary, strerror(errno));
    int in[2], outp[2];
    if (pipe(in) != 0)
        return nca_fail(err, NCA_E_DEVICE, "pipe: %s", strerror(errno));
    if (pipe(outp) != 0) {
        int e = errno;
        close(in[0]);
        close(in[1]);
        return nca_fail(err, NCA_E_DEVICE, "pipe: %s", strerror(e));
    }
    set_cloexec(in[1]);
    set_cloexec(outp[0]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 2); /* its chatter is not our output */
    posix_spawn_file_actions_addclose(&fa, in[0]);
    posix_spawn_file_actions_addclose(&fa, outp[1]);
    /* its own process group: a Ctrl-C in the terminal (SIGINT to the foreground group) is
     * the user quitting nca-host, which then ends the board through its stdin, not the
     * board dying under a running link */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    char *argv[] = {(char *)binary, (char *)"--stdin-eof", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, binary, &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(outp[1]);
    if (rc != 0) {
        close(in[1]);
        close(outp[0]);
        return nca_fail(err, NCA_E_DEVICE, "virtual board %s: cannot start: %s", binary,
                        strerror(rc));
    }
    tty_ctx tmp = {-1, "", pid, in[1], outp[0]};
    /* its stdout and stderr share the pipe: the line "pty: PATH" names the pty; other lines
     * are chatter (the last one is quoted if the board fails to start) */
    char line[300], last[120] = "";
    size_t n = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    nca_status st = NCA_OK;
    const char *path = NULL;
    for (;;) {
        char *nl = memchr(line, '\n', n);
        if (nl) {
            *nl = '\0';
            if (strncmp(line, "pty: ", 5) == 0 && line[5] != '\0') {
                path = line + 5;
                break;
            }
            snprintf(last, sizeof last, "%.100s", line);
            n -= (size_t)(nl + 1 - line);
            memmove(line, nl + 1, n);
            continue;
        }
        if (n == sizeof line - 1) /* an overlong line of chatter: drop it */
            n = 0;
        long left = (long)start_ms - elapsed_ms(&t0);
        if (left <= 0) {
            st = nca_fail(err, NCA_E_DEVICE,
                          "virtual board %s: no \"pty: PATH\" line within %u ms%s%s%s", binary,
                          start_ms, last[0] ? " (it said: " : "", last, last[0] ? ")" : "");
            break;
        }
        struct pollfd p = {outp[0], POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r <= 0)
            continue;
        ssize_t k = read(outp[0], line + n, sizeof line - 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int status = 0;
            waitpid(pid, &status, 0);
            tmp.child = 0;
            st = nca_fail(err, NCA_E_DEVICE,
                          "virtual board %s exited (%s %d) before naming its pty%s%s%s", binary,
                          WIFEXITED(status) ? "status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                          last[0] ? " (it said: " : "", last, last[0] ? ")" : "");
            break;
        }
        n += (size_t)k;
    }
    nca_transport *t = NULL;
    tty_ctx *c = NULL;
    if (st == NCA_OK)
        st = open_tty(&t, &c, "vboard", path, 3000000u, err);
    if (st != NCA_OK) {
        stop_child(&tmp);
        return st;
    }
    fcntl(outp[0], F_SETFL, fcntl(outp[0], F_GETFL) | O_NONBLOCK);
    c->child = pid;
    c->child_in = in[1];
    c->child_out = outp[0];
    t->close = vboard_close;
    *out = t;
    return NCA_OK;
}
