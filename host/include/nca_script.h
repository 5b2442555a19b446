/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nca_script.h - scripted input of nca-host (--events FILE, and --damage SPEC@STEP): what a
 * user does with the live view, at a given step, so that tests and demos replay it exactly.
 *
 * One event a line, "STEP ACTION", '#' starts a comment, blank lines are skipped:
 *   120 click X,Y [r=R]    erase a disc of radius R (default: the view's radius) at cell X,Y,
 *                          exactly as --damage circle:X,Y,R@120
 *   300 seed X,Y           plant a seed cell
 *   400 key K              a key of the live view: one character ('2', 'p', '+', ...),
 *                          or space, esc
 *   500 damage SPEC        --damage's SPEC (circle:..., half:..., square:...)
 * An event at step N happens when N steps are done, before step N + 1; events of one step
 * keep their order.
 */
#ifndef NCA_SCRIPT_H
#define NCA_SCRIPT_H

#include "nca.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NCA_SCRIPT_MAX_EVENTS 100000u
#define NCA_KEY_ESC 27

typedef enum nca_event_kind {
    NCA_EV_CLICK = 0, /* x, y, r (r < 0: the view's radius) */
    NCA_EV_SEED = 1,  /* x, y */
    NCA_EV_KEY = 2,   /* key */
    NCA_EV_DAMAGE = 3 /* damage */
} nca_event_kind;

typedef struct nca_event {
    uint32_t step;
    nca_event_kind kind;
    int x, y, r;
    int key;
    nca_damage damage;
} nca_event;

typedef struct nca_script {
    nca_event *ev; /* sorted by step (stable) after nca_script_sort */
    size_t n, cap;
} nca_script;

/* Appends one event. */
nca_status nca_script_add(nca_script *s, const nca_event *e, nca_error *err);
/* Parses text (len bytes, no NUL needed) and appends its events; errors name the line. */
nca_status nca_script_parse(const char *text, size_t len, const char *name, nca_script *s,
                            nca_error *err);
nca_status nca_script_load(const char *path, nca_script *s, nca_error *err);
/* Orders the events by step, keeping the order of events of one step. */
void nca_script_sort(nca_script *s);
void nca_script_free(nca_script *s);

#ifdef __cplusplus
}
#endif
#endif
