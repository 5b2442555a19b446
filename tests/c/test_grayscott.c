/* SPDX-License-Identifier: Apache-2.0 */
/* test_grayscott.c - the Gray-Scott reference solver in the library (nca_grayscott.h):
 * limits and errors, the initial conditions, one Euler step by hand, the field as a state. */
#include "test_util.h"

#include "nca_grayscott.h"

#include <math.h>

static void test_gs_limits_and_errors(void **state)
{
    (void)state;
    nca_gs g;
    nca_error e = {""};
    const unsigned bad[4][2] = {{2, 8}, {8, 2}, {1025, 8}, {8, 1025}};
    for (int k = 0; k < 4; k++) {
        e.msg[0] = '\0';
        assert_int_equal(nca_gs_init(&g, bad[k][0], bad[k][1], &e), NCA_E_ARG);
        assert_one_line(&e);
        assert_null(g.a);
    }
    assert_int_equal(nca_gs_init(&g, 5, 4, &e), NCA_OK);
    assert_int_equal(nca_gs_initial(&g, (nca_gs_family)7, 1, &e), NCA_E_ARG);
    assert_one_line(&e);
    /* an unstable time step: the field leaves the doubles, the step says so */
    nca_gs_params p;
    nca_gs_params_default(&p);
    p.dt = 40.0;
    assert_int_equal(nca_gs_initial(&g, NCA_GS_IC_TEST, 3, &e), NCA_OK);
    nca_status st = NCA_OK;
    for (int t = 0; t < 400 && st == NCA_OK; t++)
        st = nca_gs_step(&g, &p, &e);
    assert_int_equal(st, NCA_E_RANGE);
    assert_one_line(&e);
    nca_gs_free(&g);
    nca_gs_free(&g); /* twice is harmless */
}

static void test_gs_initial_conditions(void **state)
{
    (void)state;
    nca_gs g, h;
    nca_error e = {""};
    assert_int_equal(nca_gs_init(&g, 64, 64, &e), NCA_OK);
    assert_int_equal(nca_gs_init(&h, 64, 64, &e), NCA_OK);
    for (int fam = 0; fam < 2; fam++) {
        assert_int_equal(nca_gs_initial(&g, (nca_gs_family)fam, 5, &e), NCA_OK);
        assert_int_equal(nca_gs_initial(&h, (nca_gs_family)fam, 5, &e), NCA_OK);
        size_t with_b = 0;
        for (size_t i = 0; i < 64 * 64; i++) {
            assert_true(g.a[i] == h.a[i] && g.b[i] == h.b[i]); /* seeded */
            assert_true(g.a[i] >= 0.0 && g.a[i] <= 1.0 && g.b[i] >= 0.0 && g.b[i] <= 1.0);
            with_b += g.b[i] > 0.05;
        }
        assert_true(with_b >= (fam == 0 ? 64 : 200)); /* squares are there (they may overlap) */
        assert_true(with_b <= 6 * 256);
        assert_int_equal(nca_gs_initial(&h, (nca_gs_family)fam, 6, &e), NCA_OK);
        int differs = 0;
        for (size_t i = 0; i < 64 * 64; i++)
            differs |= g.b[i] != h.b[i];
        assert_true(differs);
    }
    /* the families differ for the same seed */
    assert_int_equal(nca_gs_initial(&g, NCA_GS_IC_TRAIN, 5, &e), NCA_OK);
    assert_int_equal(nca_gs_initial(&h, NCA_GS_IC_TEST, 5, &e), NCA_OK);
    int differs = 0;
    for (size_t i = 0; i < 64 * 64; i++)
        differs |= g.b[i] != h.b[i];
    assert_true(differs);
    nca_gs_free(&g);
    nca_gs_free(&h);
}

/* One Euler step at two cells, by hand, on a 4x3 torus with one bump of B. */
static void test_gs_step_by_hand(void **state)
{
    (void)state;
    nca_gs g;
    nca_error e = {""};
    assert_int_equal(nca_gs_init(&g, 4, 3, &e), NCA_OK);
    for (size_t i = 0; i < 12; i++) {
        g.a[i] = 1.0;
        g.b[i] = 0.0;
    }
    g.a[1 * 4 + 1] = 0.5; /* (x 1, y 1) */
    g.b[1 * 4 + 1] = 0.25;
    nca_gs_params p;
    nca_gs_params_default(&p);
    assert_int_equal(nca_gs_step(&g, &p, &e), NCA_OK);
    assert_int_equal(g.step, 1);
    /* centre: lap = -12 x (value - 1) / 4 for A, -12 x 0.25 / 4 for B */
    double lapa = -12.0 * (0.5 - 1.0) / 4.0, lapb = -12.0 * 0.25 / 4.0, ab2 = 0.5 * 0.0625;
    assert_true(fabs(g.a[5] - (0.5 + 0.1 * lapa - ab2 + 0.0623 * 0.5)) < 1e-15);
    assert_true(fabs(g.b[5] - (0.25 + 0.05 * lapb + ab2 - (0.06268 + 0.0623) * 0.25)) < 1e-15);
    /* the edge neighbour (x 2, y 1) sees it with weight 2, the corner (x 0, y 0) with 1; the
     * torus: (x 1, y 1) is also a neighbour of (x 1, y 2 + 1 = 0) through the wrap */
    assert_true(fabs(g.b[1 * 4 + 2] - 0.05 * 2.0 * 0.25 / 4.0) < 1e-15);
    assert_true(fabs(g.b[0] - 0.05 * 1.0 * 0.25 / 4.0) < 1e-15);
    assert_true(fabs(g.a[1 * 4 + 2] - (1.0 + 0.1 * 2.0 * (0.5 - 1.0) / 4.0)) < 1e-15);
    nca_gs_free(&g);
}

static void test_gs_to_grid(void **state)
{
    (void)state;
    nca_gs g;
    nca_error e = {""};
    assert_int_equal(nca_gs_init(&g, 6, 5, &e), NCA_OK);
    assert_int_equal(nca_gs_initial(&g, NCA_GS_IC_TEST, 2, &e), NCA_OK);
    g.a[0] = 3.0; /* saturates at Q14 */
    g.b[0] = -3.0;
    g.step = 77;
    nca_model m;
    memset(&m, 0, sizeof m);
    m.channels = 8;
    m.state_frac = 14;
    m.boundary = NCA_BOUNDARY_WRAP;
    nca_grid grid, small;
    assert_int_equal(nca_grid_init(&grid, &m, 6, 5, 1, 1, &e), NCA_OK);
    for (size_t i = 0; i < tu_words(&grid); i++)
        grid.s[i] = 5; /* overwritten: hidden channels 0 */
    assert_int_equal(nca_gs_to_grid(&g, &grid, &e), NCA_OK);
    assert_int_equal(grid.step, 77);
    assert_int_equal(grid.s[0], 32767);
    assert_int_equal(grid.s[1], -32768);
    for (size_t i = 1; i < 30; i++) {
        assert_int_equal(grid.s[i * 8], (int16_t)floor(ldexp(g.a[i], 14) + 0.5));
        assert_int_equal(grid.s[i * 8 + 1], (int16_t)floor(ldexp(g.b[i], 14) + 0.5));
        for (unsigned c = 2; c < 8; c++)
            assert_int_equal(grid.s[i * 8 + c], 0);
        assert_true(grid.f[i * 8 + 1] == (float)ldexp(grid.s[i * 8 + 1], -14));
    }
    assert_int_equal(nca_grid_init(&small, &m, 5, 5, 1, 0, &e), NCA_OK);
    assert_int_equal(nca_gs_to_grid(&g, &small, &e), NCA_E_ARG);
    assert_one_line(&e);
    nca_grid_free(&small);
    nca_grid_free(&grid);
    nca_gs_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gs_limits_and_errors),
        cmocka_unit_test(test_gs_initial_conditions),
        cmocka_unit_test(test_gs_step_by_hand),
        cmocka_unit_test(test_gs_to_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
