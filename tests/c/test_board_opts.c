/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_board_opts.c - the board backends' options (nca_board.h): the text form of
 * `--backend NAME:ARG` (main argument per backend, key=value items, later keys win, errors
 * that name the item), the typed setters, and the precedence of typed options over the
 * text when a board is opened (checked through the error a missing device gives).
 */
#include "test_util.h"

#include "nca_board.h"

static void test_text_form(void **state)
{
    (void)state;
    nca_board_options o;
    nca_error e;
    nca_board_options_clear(&o);
    assert_int_equal(o.retries, -1);
    assert_int_equal(nca_board_options_parse("serial", "/dev/ttyX,baud=115200,retries=0", &o, &e),
                     NCA_OK);
    assert_string_equal(o.port, "/dev/ttyX");
    assert_int_equal(o.baud, 115200);
    assert_int_equal(o.retries, 0); /* set to 0, not unset */
    nca_board_options_clear(&o);
    assert_int_equal(nca_board_options_parse("vboard", "/x/nca-vboard,timeout=50", &o, &e),
                     NCA_OK);
    assert_string_equal(o.vboard, "/x/nca-vboard");
    assert_int_equal(o.timeout_ms, 50);
    nca_board_options_clear(&o);
    assert_int_equal(nca_board_options_parse("usb", "0403:6010:1,baud=3000000,device=0403:6015",
                                             &o, &e),
                     NCA_OK);
    assert_string_equal(o.device, "0403:6015"); /* the later key wins */
    assert_int_equal(nca_board_options_parse("serial", "", &o, &e), NCA_OK);
    assert_int_equal(nca_board_options_parse("serial", NULL, &o, &e), NCA_OK);
}

static void test_text_errors(void **state)
{
    (void)state;
    nca_board_options o;
    nca_error e;
    nca_board_options_clear(&o);
    assert_int_equal(nca_board_options_parse("serial", "speed=3", &o, &e), NCA_E_ARG);
    assert_non_null(strstr(e.msg, "unknown board option 'speed'"));
    assert_int_equal(nca_board_options_parse("serial", "/dev/a,/dev/b", &o, &e), NCA_E_ARG);
    assert_non_null(strstr(e.msg, "'/dev/b': expected KEY=VALUE"));
    assert_int_equal(nca_board_options_parse("serial", "baud=12", &o, &e), NCA_E_ARG);
    assert_non_null(strstr(e.msg, "bad baud rate '12'"));
    assert_int_equal(nca_board_options_parse("serial", "retries=x", &o, &e), NCA_E_ARG);
    assert_int_equal(nca_board_options_parse("serial", "timeout=0", &o, &e), NCA_E_ARG);
    assert_int_equal(nca_board_options_parse("serial", "port=", &o, &e), NCA_E_ARG);
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(nca_board_options_parse("serial", big, &o, &e), NCA_E_ARG);
    assert_non_null(strstr(e.msg, "too long"));
}

static void test_setters(void **state)
{
    (void)state;
    nca_board_options o;
    nca_error e;
    nca_board_options_clear(&o);
    assert_int_equal(nca_board_options_set(&o, "port", "/dev/ttyUSB0", &e), NCA_OK);
    assert_string_equal(o.port, "/dev/ttyUSB0");
    /* a path with a comma is fine typed (the text form could not carry it) */
    assert_int_equal(nca_board_options_set(&o, "vboard", "/tmp/a,b/nca-vboard", &e), NCA_OK);
    assert_string_equal(o.vboard, "/tmp/a,b/nca-vboard");
    char big[600];
    memset(big, 'p', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(nca_board_options_set(&o, "vboard", big, &e), NCA_E_ARG);
    assert_non_null(strstr(e.msg, "longer than 511 bytes"));
    assert_string_equal(o.vboard, "/tmp/a,b/nca-vboard"); /* unchanged */
    assert_int_equal(nca_board_options_set(&o, "baud", "1", &e), NCA_E_ARG);
}

/* Typed options win over the text: the serial port that fails to open is the typed one. */
static void test_typed_over_text(void **state)
{
    (void)state;
    nca_board_options t;
    nca_error e;
    nca_link *l = NULL;
    nca_board_options_clear(&t);
    assert_int_equal(nca_board_options_set(&t, "port", "/nonexistent/typed", &e), NCA_OK);
    nca_backend_config cfg = {"/nonexistent/text,baud=115200", &t};
    assert_int_equal(nca_board_open("serial", &cfg, &l, NULL, &e), NCA_E_DEVICE);
    assert_non_null(strstr(e.msg, "/nonexistent/typed"));
    cfg.board = NULL;
    assert_int_equal(nca_board_open("serial", &cfg, &l, NULL, &e), NCA_E_DEVICE);
    assert_non_null(strstr(e.msg, "/nonexistent/text"));
    cfg.arg = "bogus=1";
    assert_int_equal(nca_board_open("serial", &cfg, &l, NULL, &e), NCA_E_ARG);
    assert_null(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_form),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_setters),
        cmocka_unit_test(test_typed_over_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
