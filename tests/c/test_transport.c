/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_transport.c - the transports (host/src/nca_transport*.c): the serial transport on a
 * pseudo terminal (raw 8N1: every byte value passes untouched; Bxxx and termios2 baud
 * rates; read timeouts; hang-up), and the errors of serial, usb and vboard when there is no
 * device: NCA_E_DEVICE and one line.
 */
#include "test_util.h"

#include "nca_link.h"
#include "nca_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>

/* posix_openpt & co. need _XOPEN_SOURCE, which the build does not set */
int posix_openpt(int flags);
int grantpt(int fd);
int unlockpt(int fd);
char *ptsname(int fd);

static int open_master(char *slave, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    const char *s = ptsname(m);
    assert_non_null(s);
    assert_true(strlen(s) < cap);
    strcpy(slave, s);
    return m;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Reads exactly n bytes from the master side (1 s limit). */
static void master_read(int m, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = {m, POLLIN, 0};
        assert_true(poll(&p, 1, 1000) == 1);
        ssize_t k = read(m, buf + got, n - got);
        assert_true(k > 0);
        got += (size_t)k;
    }
}

static void raw_bytes_at(unsigned baud)
{
    char slave[128];
    int m = open_master(slave, sizeof slave);
    /* the master side raw too, so the check is of the transport's side alone */
    nca_transport *t;
    nca_error e = {""};
    if (nca_transport_open_serial(&t, slave, baud, &e) != NCA_OK)
        fail_msg("open %s at %u: %s", slave, baud, e.msg);
    assert_string_equal(t->name, "serial");
    uint8_t all[512], back[512];
    for (int i = 0; i < 512; i++)
        all[i] = (uint8_t)(i * 37 + (i >> 8));
    /* host -> board */
    assert_int_equal(t->write(t, all, sizeof all, &e), NCA_OK);
    master_read(m, back, sizeof all);
    assert_memory_equal(back, all, sizeof all);
    /* board -> host: every value, CR, LF, ^C, XON/XOFF, DEL and NUL untouched */
    assert_int_equal(write(m, all, sizeof all), (ssize_t)sizeof all);
    size_t got = 0;
    while (got < sizeof all) {
        size_t k = 0;
        assert_int_equal(t->read(t, back + got, sizeof all - got, &k, 1000, &e), NCA_OK);
        assert_true(k > 0);
        got += k;
    }
    assert_memory_equal(back, all, sizeof all);
    /* nothing waiting: a read times out with no bytes, after about the time asked */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t k = 99;
    assert_int_equal(t->read(t, back, sizeof back, &k, 60, &e), NCA_OK);
    assert_int_equal(k, 0);
    long ms = ms_since(&t0);
    assert_true(ms >= 50 && ms < 1000);
    if (t->flush(t, &e) != NCA_OK)
        fail_msg("flush: %s", e.msg);
    /* the other side goes away: a read reports it (one line), never hangs */
    close(m);
    nca_status st = t->read(t, back, sizeof back, &k, 200, &e);
    if (st != NCA_OK) {
        assert_int_equal(st, NCA_E_DEVICE);
        assert_one_line(&e);
    } else {
        assert_int_equal(k, 0);
    }
    nca_transport_close(t);
}

static void test_serial_pty_3mbaud(void **state)
{
    (void)state;
    raw_bytes_at(3000000);
}

static void test_serial_pty_12mbaud(void **state)
{
    (void)state;
    raw_bytes_at(12000000); /* no B12000000: termios2 BOTHER */
}

static void test_serial_pty_115200(void **state)
{
    (void)state;
    raw_bytes_at(115200);
}

static void test_serial_errors(void **state)
{
    (void)state;
    nca_transport *t = NULL;
    nca_error e = {""};
    assert_int_equal(nca_transport_open_serial(&t, "/nonexistent/tty", 3000000, &e),
                     NCA_E_DEVICE);
    assert_one_line(&e);
    assert_non_null(strstr(e.msg, "/nonexistent/tty"));
    assert_int_equal(nca_transport_open_serial(&t, "/dev/null", 3000000, &e), NCA_E_DEVICE);
    assert_one_line(&e);
    assert_non_null(strstr(e.msg, "not a tty"));
    assert_int_equal(nca_transport_open_serial(&t, "/dev/null", 0, &e), NCA_E_ARG);
    assert_one_line(&e);
    nca_transport_close(NULL);
}

static void test_usb_no_device(void **state)
{
    (void)state;
    nca_transport *t = NULL;
    nca_error e = {""};
    /* no FTDI chip on a test machine (skip if one is plugged in) */
    nca_status st = nca_transport_open_usb(&t, "", 3000000, &e);
    if (st == NCA_OK) {
        nca_transport_close(t);
        skip();
    }
    assert_int_equal(st, NCA_E_DEVICE);
    assert_one_line(&e);
    st = nca_transport_open_usb(&t, "0403:6010", 3000000, &e);
    if (st == NCA_OK) {
        nca_transport_close(t);
        skip();
    }
    assert_int_equal(st, NCA_E_DEVICE);
    assert_one_line(&e);
    assert_int_equal(nca_transport_open_usb(&t, "banana", 3000000, &e),
#if defined(NCA_HAVE_LIBFTDI)
                     NCA_E_ARG
#else
                     NCA_E_DEVICE
#endif
    );
    assert_one_line(&e);
}

/* A script standing in for a broken virtual board. */
static void script(char *path, size_t cap, const char *body)
{
    tu_tmpname(path, cap, "vb");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    assert_int_equal(chmod(path, 0700), 0);
}

static void expect_vboard_error(const char *binary, unsigned start_ms, const char *what)
{
    nca_transport *t = NULL;
    nca_error e = {""};
    assert_int_equal(nca_transport_open_vboard(&t, binary, start_ms, &e), NCA_E_DEVICE);
    assert_one_line(&e);
    if (!strstr(e.msg, what))
        fail_msg("'%s' does not mention '%s'", e.msg, what);
}

static void test_vboard_errors(void **state)
{
    (void)state;
    char p[256];
    expect_vboard_error("/nonexistent/nca-vboard", 3000, "No such file");
    script(p, sizeof p, "echo 'no such model' >&2; exit 3");
    expect_vboard_error(p, 3000, "exited (status 3) before naming its pty (it said: no such model)");
    unlink(p);
    /* chatter on stdout and stderr before the pty line is skipped; without one: timeout */
    script(p, sizeof p, "echo hello; echo world >&2; cat >/dev/null");
    expect_vboard_error(p, 300, "no \"pty: PATH\" line within 300 ms (it said: world)");
    unlink(p);
    script(p, sizeof p, "echo starting >&2; echo 'pty: /nonexistent/pts'; cat >/dev/null");
    expect_vboard_error(p, 3000, "/nonexistent/pts");
    unlink(p);
    /* silent: the start timeout, then the child is reaped (stdin EOF ends cat) */
    script(p, sizeof p, "cat >/dev/null");
    nca_transport *t = NULL;
    nca_error e = {""};
    assert_int_equal(nca_transport_open_vboard(&t, p, 100, &e), NCA_E_DEVICE);
    assert_one_line(&e);
    assert_non_null(strstr(e.msg, "within 100 ms"));
    unlink(p);
}

static void test_vboard_fake_pty(void **state)
{
    (void)state;
    /* a "board" that names a real pty whose master this test holds: the transport opens it,
     * bytes pass, and closing the transport ends the board (stdin EOF) */
    char slave[128], p[256], body[400];
    int m = open_master(slave, sizeof slave);
    snprintf(body, sizeof body,
             "echo board starting >&2; echo 'pty: %s'; echo chatter; cat >/dev/null; "
             "echo bye >&2; exit 0",
             slave);
    script(p, sizeof p, body);
    nca_transport *t = NULL;
    nca_error e = {""};
    if (nca_transport_open_vboard(&t, p, 3000, &e) != NCA_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(t->name, "vboard");
    const uint8_t msg[4] = {0xA5, 0x5A, 0x0D, 0x0A};
    uint8_t back[4];
    assert_int_equal(t->write(t, msg, 4, &e), NCA_OK);
    master_read(m, back, 4);
    assert_memory_equal(back, msg, 4);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    nca_transport_close(t); /* waits for the script to exit */
    assert_true(ms_since(&t0) < 2500);
    close(m);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serial_pty_3mbaud),
        cmocka_unit_test(test_serial_pty_12mbaud),
        cmocka_unit_test(test_serial_pty_115200),
        cmocka_unit_test(test_serial_errors),
        cmocka_unit_test(test_usb_no_device),
        cmocka_unit_test(test_vboard_errors),
        cmocka_unit_test(test_vboard_fake_pty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
