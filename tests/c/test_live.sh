#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_live.sh - the live view of nca-host (host/ui/): scripted input, recording, the window
# under Xvfb, the terminal under tmux, model switching, faults, and live runs on the
# virtual board.
#   - a scripted click (--events '120 click 40,36 r=8') leaves the state --damage
#     circle:40,36,8@120 leaves (cmp);
#   - --record: the GIF's frame count, and its last frame against --save-frame composited;
#   - window (Xvfb): a screenshot of the window paused at step 120 equals the --save-frame of
#     that step, composited over white and scaled (pixel for pixel);
#   - terminal (tmux): the captured pane shows the coloured lizard and the status line; key 2
#     switches to the second --model (its name in the status line); q restores the terminal;
#   - the window closed as a window manager does it (WM_DELETE_WINDOW, python3-xlib): exit 0;
#   - faults: no display (--view window), no terminal (--view term): exit 2, one line; the
#     virtual board killed mid-run: exit 2, one line, no hang;
#   - vboard: a live headless run (RUN with a frame every k steps) ends in the state of ref.
# Tools missing here (Xvfb, tmux, xdotool, ImageMagick's import, the vboard) make their tests
# skipped, counted as such. Run from the repository root; BUILD defaults to build.
set -u

BUILD=${BUILD:-build}
SAN=$BUILD/san/nca-host
# SDL2 and X11 keep allocations until exit that LeakSanitizer reports: the window tests run
# the release build (same sources, -O3), everything else the sanitizer build
REL=$BUILD/nca-host
M1=weights/regen.bin
M2=weights/grow.bin
VBOARD=${VBOARD:-sim/build/vboard/nca-vboard}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3

for b in "$SAN" "$REL"; do
    if [ ! -x "$b" ]; then
        echo "test_live.sh: $b not built (make $b)" >&2
        echo "[  FAILED  ] 1 test(s), listed below:"
        exit 1
    fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/nca-live-XXXXXX") || exit 1
XVFB_PID=""
XDISP=""   # the Xvfb display, kept for the vboard's window test after the window section
TMUX_SOCK="nca-live-$$"
cleanup() {
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
    tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
    tmux -L "$TMUX_SOCK-c" kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

. tests/c/harness.sh
CHECK_TIMEOUT=120
same() { # NAME FILE1 FILE2
    if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$2 and $3 differ"; fi
}
# compare.py-like checks in Python (PIL, numpy): frame PNG composited and scaled vs an image
img_check() { # NAME PYTHON-CODE
    local name=$1
    if out=$("$PYTHON" -c "$2" 2>&1); then pass "$name${out:+ ($out)}"; else fail "$name" "$out"; fi
}
COMPOSE='
from PIL import Image
import numpy as np
def composed(png, scale):
    f = np.asarray(Image.open(png).convert("RGBA")).astype(int)
    rgb = np.minimum(255, f[..., :3] + 255 - f[..., 3:4])
    return np.repeat(np.repeat(rgb, scale, 0), scale, 1)
'

echo "[==========] Running the live view tests."
H=(--backend ref --view none --quiet)

# ---- scripted input == --damage ---------------------------------------------------------------
printf '# a click, as a user would\n120 click 40,36 r=8\n' >"$T/click.ev"
if check "events: scripted click run" 0 0 "$SAN" "${H[@]}" -m "$M1" --steps 200 \
        --events "$T/click.ev" --save-state "$T/click.st" &&
    check "events: the same with --damage" 0 0 "$SAN" "${H[@]}" -m "$M1" --steps 200 \
        --damage circle:40,36,8@120 --save-state "$T/dmg.st" &&
    check "events: no damage" 0 0 "$SAN" "${H[@]}" -m "$M1" --steps 200 --save-state "$T/none.st"; then
    same "events: a scripted click equals --damage (cmp)" "$T/click.st" "$T/dmg.st"
    if cmp -s "$T/click.st" "$T/none.st"; then
        fail "events: the click changed the state" "same state as without it"
    else
        pass "events: the click changed the state"
    fi
fi
# erased and regrown: the disc that a click at step 200 erases (an event at the last step
# happens before the run ends) is empty after it, and alive again 200 steps later (alpha over
# it within 20% of before)
printf '200 click 36,36 r=10\n' >"$T/regrow.ev"
check "events: step 200, no click" 0 0 "$SAN" "${H[@]}" -m "$M1" --steps 200 --save-frame "$T/g0.png"
for n in 200 400; do
    check "events: step $n, a click at 200" 0 0 "$SAN" "${H[@]}" -m "$M1" \
        --steps $n --events "$T/regrow.ev" --save-frame "$T/g$n.png"
done
img_check "events: the clicked disc is erased, then regrows" "
from PIL import Image
import numpy as np
yy, xx = np.mgrid[0:64, 0:64]
disc = (xx - 36) ** 2 + (yy - 36) ** 2 <= 100
a = [np.asarray(Image.open('$T/g%d.png' % n))[..., 3][disc].astype(int).sum() for n in (0, 200, 400)]
assert a[0] > 0 and a[1] == 0, 'alpha in the disc: %s' % a
assert abs(a[2] - a[0]) <= 0.2 * a[0], 'alpha in the disc: %s' % a
print('alpha in the disc: %d before, %d after the click, %d 200 steps later' % tuple(a))"
# a resumed run counts --steps and the scripted steps from where it starts, live (--spf)
# or batch alike: from step 200, 30 steps with a click 10 steps in = --damage ...@10
printf '10 click 30,30 r=6\n' >"$T/late.ev"
check "resume: 200 steps saved" 0 0 "$SAN" "${H[@]}" -m "$M1" --steps 200 --save-state "$T/s200.st"
check "resume: live, 30 steps, a click at 10" 0 0 "$SAN" "${H[@]}" -m "$M1" --load-state "$T/s200.st" \
    --steps 30 --spf 4 --events "$T/late.ev" --save-state "$T/rl.st"
check "resume: batch, 30 steps, --damage at 10" 0 0 "$SAN" "${H[@]}" -m "$M1" --load-state "$T/s200.st" \
    --steps 30 --damage circle:30,30,6@10 --save-state "$T/rb.st"
same "resume: the live run ends where the batch run does (step 230)" "$T/rl.st" "$T/rb.st"
printf '10 seed 5,5\n' >"$T/seed.ev"
check "events: a scripted seed runs" 0 0 "$SAN" "${H[@]}" -m "$M1" --steps 20 --events "$T/seed.ev" \
    --save-state "$T/seed.st" && ! cmp -s "$T/seed.st" "$T/none.st" && pass "events: the seed changed the state"
printf '10 klick 1,2\n' >"$T/bad.ev"
check "events: an unknown action is a usage error naming the line" 1 1 \
    "$SAN" "${H[@]}" -m "$M1" --steps 20 --events "$T/bad.ev" &&
    grep -q 'bad.ev:1: unknown action' "$T/err" && pass "events: the error names file and line"
check "events: a missing file is a usage error" 1 1 "$SAN" "${H[@]}" -m "$M1" --events "$T/nope.ev"

# ---- --record ------------------------------------------------------------------------------
if check "record: headless GIF, 120 steps, 4 a frame" 0 0 "$SAN" "${H[@]}" -m "$M1" --steps 120 \
        --spf 4 --scale 3 --events "$T/click.ev" --record "$T/r.gif" --save-frame "$T/r.png"; then
    # frames: the first, one every 4 steps (120 / 4), and the click at step 120, which is
    # drawn before the run ends there
    img_check "record: 32 frames of 192x192, the last equals --save-frame composited" "$COMPOSE
im = Image.open('$T/r.gif')
n = im.n_frames
assert n == 32, 'frames %d, expected 32' % n
assert im.size == (192, 192), im.size
im.seek(n - 1)
last = np.asarray(im.convert('RGB')).astype(int)
want = composed('$T/r.png', 3)
d = np.abs(last - want)
assert d.mean() < 1.0 and d.max() <= 40, 'mean %.3f max %d' % (d.mean(), d.max())
print('mean |diff| %.3f, max %d (256-colour palette)' % (d.mean(), d.max()))"
fi
[ -e "$T/r.gif.part" ] && fail "record: no temporary file left" "$T/r.gif.part"
check "record: an unwritable path is an error, no file" 1 1 "$SAN" "${H[@]}" -m "$M1" --steps 4 \
    --record "$T/no/such/dir/x.gif"

# ---- faults without a display or a terminal ------------------------------------------------
check "fault: --view window without a display: exit 2, one line" 2 1 \
    env -u DISPLAY -u WAYLAND_DISPLAY "$REL" --backend ref -m "$M1" --view window --steps 5
check "fault: a display that opens no window (no X server there): exit 2, one line" 2 1 \
    env -u WAYLAND_DISPLAY DISPLAY=:4095 "$REL" --backend ref -m "$M1" --view window --steps 5
check "fault: --view term without a terminal: exit 2, one line" 2 1 \
    "$SAN" --backend ref -m "$M1" --view term --steps 5
check "auto: no display, no terminal: headless, no view" 0 0 \
    env -u DISPLAY -u WAYLAND_DISPLAY "$SAN" --backend ref -m "$M1" --steps 5 --quiet
check "auto backend: one line saying it chose the C model" 0 1 \
    env -u DISPLAY "$SAN" -m "$M1" --steps 5 --view none &&
    grep -q 'no board found on USB: running the C model' "$T/err" &&
    pass "auto backend: the line names the C model and why"

# ---- the window, under Xvfb ----------------------------------------------------------------
if ! command -v Xvfb >/dev/null || ! command -v xdotool >/dev/null || ! command -v import >/dev/null; then
    for t in "window: screenshot equals --save-frame" "window: quit with q" "window: closed"; do
        skip "$t" "Xvfb, xdotool or ImageMagick missing (tools/install-deps.sh)"
    done
else
    # Xvfb picks a free display and names it on fd 3 once it accepts clients; -noreset: an X
    # server resets when its last client leaves, and refuses connections while it does (the
    # SDL "x11 not available" that hit a window test now and then: xdotool's polls come and go)
    Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp -noreset 3>"$T/xdisplay" >"$T/xvfb.log" 2>&1 &
    XVFB_PID=$!
    # (a whole line: the number and its newline), then until a client gets through
    for _ in $(seq 300); do [ "$(wc -l <"$T/xdisplay")" -ge 1 ] && break; sleep 0.1; done
    d=$(head -1 "$T/xdisplay")
    export DISPLAY=":$d"
    XDISP=$DISPLAY
    for _ in $(seq 100); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.1; done
    if [ -z "$d" ] || ! xdotool getmouselocation >/dev/null 2>&1; then
        echo "test_live: Xvfb did not come up on display ':$d': $(head -c 300 "$T/xvfb.log")"
    fi
    printf '100 click 40,36 r=8\n120 key space\n' >"$T/win.ev"
    # open_window TITLE_RE OUT ERR CMD...: starts CMD in the background (pid), waits up to 30 s
    # for its newest window whose title matches TITLE_RE (id, empty if none); tries again,
    # up to six times, when SDL could not connect to the X server while xdotool could (seen
    # before Xvfb ran with -noreset: a connection during the server's reset, which follows
    # every last client's exit, is refused; four tries in a row lost beside two bitstream
    # builds). Before a new try it waits for the server to answer xdotool, then 1..5 s more.
    open_window() {
        local re=$1 out=$2 errf=$3 try
        shift 3
        for try in 1 2 3 4 5 6; do
            "$@" >"$out" 2>"$errf" &
            pid=$!
            id=""
            for _ in $(seq 300); do
                id=$(xdotool search --name "$re" 2>/dev/null | tail -1)
                [ -n "$id" ] && return 0
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            grep -q 'x11 not available' "$errf" || return 0
            echo "test_live: SDL could not open the X display on try $try: $(head -c 200 "$errf")"
            wait "$pid" 2>/dev/null
            for _ in $(seq 100); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.1; done
            sleep "$try"
        done
    }
    open_window '^regen \| ref \| step 120 .*paused' "$T/wout" "$T/werr" \
        timeout 120 "$REL" --backend ref -m "$M1" -m "$M2" --events "$T/win.ev" \
        --record "$T/w.gif" --save-frame "$T/w.png"
    if [ -z "$id" ]; then
        fail "window: paused at step 120" "no such window title; stderr: $(head -c 300 "$T/werr")"
        kill "$pid" 2>/dev/null
    else
        pass "window: paused at step 120 (title: $(xdotool getwindowname "$id"))"
        import -window "$id" "$T/shot.png"
        # the window is gone before the key's release reaches it (xdotool: BadWindow): release
        # it in the server, or the next window (the server keeps its state, -noreset) starts
        # with q held, which is a quit
        xdotool key --window "$id" q 2>/dev/null
        xdotool keyup q
        wait "$pid"
        rc=$?
        if [ "$rc" -eq 0 ]; then pass "window: quit with q, exit 0"; else fail "window: quit with q" "exit $rc: $(head -c 300 "$T/werr")"; fi
        img_check "window: screenshot equals --save-frame composited and scaled" "$COMPOSE
shot = np.asarray(Image.open('$T/shot.png').convert('RGB')).astype(int)
want = composed('$T/w.png', 10)
assert shot.shape == want.shape, 'screenshot %s, expected %s' % (shot.shape, want.shape)
bad = int((shot != want).any(axis=2).sum())
assert bad == 0, '%d pixels differ' % bad
print('%dx%d, every pixel equal' % (shot.shape[1], shot.shape[0]))"
        img_check "window: --record wrote what the window showed (121 frames, last = screenshot)" "
from PIL import Image
import numpy as np
im = Image.open('$T/w.gif')
assert im.n_frames >= 121, 'frames %d' % im.n_frames
im.seek(im.n_frames - 1)
last = np.asarray(im.convert('RGB')).astype(int)
shot = np.asarray(Image.open('$T/shot.png').convert('RGB')).astype(int)
d = np.abs(last - shot)
assert d.mean() < 1.0, 'mean %.3f' % d.mean()
print('%d frames' % im.n_frames)"
    fi
    # the window closed as a window manager closes it (WM_DELETE_WINDOW): a quit, exit 0. Sent
    # once the view has drawn 10 steps, as a user's click comes: sent at the first title, in
    # SDL's start-up (shown, hidden, shown again without a window manager), it was lost now
    # and then under load (SDL_EVENT_LOGGING showed no SDL_WINDOWEVENT_CLOSE: exit 124)
    open_window '^regen \| ref \| step [0-9]{2,} ' "$T/cout" "$T/cerr" timeout 60 "$REL" --backend ref -m "$M1"
    : >"$T/xlib"
    if [ -n "$id" ] && "$PYTHON" -c "
from Xlib import display, X
from Xlib.protocol import event
d = display.Display()
w = d.create_resource_object('window', $id)
proto, delete = d.intern_atom('WM_PROTOCOLS'), d.intern_atom('WM_DELETE_WINDOW')
w.send_event(event.ClientMessage(window=w, client_type=proto, data=(32, [delete, X.CurrentTime, 0, 0, 0])))
d.flush()" 2>"$T/xlib"; then
        wait "$pid"
        rc=$?
        if [ "$rc" -eq 0 ] && [ ! -s "$T/cerr" ]; then
            pass "window: closed by the window manager: exit 0, nothing on stderr"
        else
            fail "window: closed by the window manager" "exit $rc: $(head -c 300 "$T/cerr")"
        fi
    else
        kill "$pid" 2>/dev/null
        fail "window: closed by the window manager" "no window or no python3-xlib: $(head -c 300 "$T/xlib") $(head -c 300 "$T/cerr")"
    fi
    unset DISPLAY
fi

# ---- the terminal, under tmux --------------------------------------------------------------
if ! command -v tmux >/dev/null; then
    for t in "term: lizard and status line" "term: key 2 switches model" "term: key . turns" "term: q restores"; do
        skip "$t" "tmux missing (tools/install-deps.sh)"
    done
else
    tm() { tmux -L "$TMUX_SOCK" "$@"; }
    printf '60 key space\n' >"$T/term.ev"
    tm new-session -d -x 120 -y 40 "env -u DISPLAY TERM=xterm-256color $SAN --backend ref -m $M1 -m $M2 --events $T/term.ev; echo exit=\$?; sleep 60"
    pane=""
    for _ in $(seq 200); do
        pane=$(tm capture-pane -p 2>/dev/null | tail -1)
        case "$pane" in *"step 60 "*paused*) break ;; esac
        sleep 0.1
    done
    tm capture-pane -p -e >"$T/pane.esc"
    if grep -q '^regen | ref | step 60 .*paused' <<<"$pane"; then
        pass "term: status line ($pane)"
    else
        fail "term: status line" "last line: $pane"
    fi
    # the lizard: half blocks in greens (g > r + 40) on the white background
    greens=$(grep -o $'\e\\[38;2;[0-9]*;[0-9]*;[0-9]*m' "$T/pane.esc" |
        awk -F'[;m]' '$4 > $3 + 40 && $4 > $5 + 40 { n++ } END { print n + 0 }')
    blocks=$(grep -o '▀' "$T/pane.esc" | wc -l)
    if [ "$greens" -gt 50 ] && [ "$blocks" -ge $((64 * 32)) ]; then
        pass "term: the coloured lizard ($blocks half blocks, $greens green runs)"
    else
        fail "term: the coloured lizard" "$blocks half blocks, $greens green runs"
    fi
    tm send-keys -l $'\e[<0;60;16M'
    tm send-keys -l $'\e[<0;60;16m'
    tm send-keys 2
    for _ in $(seq 100); do
        pane=$(tm capture-pane -p | tail -1)
        case "$pane" in grow*) break ;; esac
        sleep 0.1
    done
    if grep -q '^grow | ref | step 0 .*paused' <<<"$pane"; then
        pass "term: key 2 switches to the second model ($pane)"
    else
        fail "term: key 2 switches to the second model" "status: $pane"
    fi
    tm send-keys .
    for _ in $(seq 100); do
        pane=$(tm capture-pane -p | tail -1)
        case "$pane" in *"rot 15"*) break ;; esac
        sleep 0.1
    done
    if grep -q '^grow | rot 15 deg | ref | step 0 .*paused' <<<"$pane"; then
        pass "term: key . turns the perception, the status line says so ($pane)"
    else
        fail "term: key . turns the perception" "status: $pane"
    fi
    tm send-keys q
    for _ in $(seq 100); do
        tm capture-pane -p | grep -q '^exit=' && break
        sleep 0.1
    done
    if tm capture-pane -p | grep -q '^exit=0$'; then
        pass "term: q quits with exit 0, the shell's screen is back"
    else
        fail "term: q quits with exit 0" "$(tm capture-pane -p | grep -v '^$' | tail -3)"
    fi
    tm kill-server 2>/dev/null
fi

# ---- the virtual board, live -----------------------------------------------------------------
if [ ! -x "$VBOARD" ]; then
    for t in "vboard: live run equals ref" "vboard: killed mid-run"; do
        skip "$t" "no virtual board ($VBOARD; make vboard)"
    done
else
    # the default vboard is found from the program's place, not the current directory
    if (cd / && timeout 60 "$OLDPWD/$REL" --backend vboard --board-info >"$T/bi" 2>&1) &&
        grep -q '^board: *virtual' "$T/bi"; then
        pass "vboard: found beside the program from another directory"
    else
        fail "vboard: found beside the program from another directory" "$(head -c 300 "$T/bi")"
    fi
    VB=(--backend vboard --vboard "$VBOARD" --view none --quiet -m "$M1")
    if check "vboard: live headless run, RUN with a frame every 4 steps" 0 0 \
            "$SAN" "${VB[@]}" --steps 40 --spf 4 --events "$T/click.ev" --record "$T/vb.gif" \
            --save-state "$T/vb.st" &&
        check "ref: the same run" 0 0 "$SAN" "${H[@]}" -m "$M1" --steps 40 --spf 4 \
            --events "$T/click.ev" --save-state "$T/ref40.st"; then
        same "vboard: live run equals ref (cmp)" "$T/vb.st" "$T/ref40.st"
    fi
    # a model the board's build cannot hold (8 channels; the vboard has 16): one line, exit 1
    "$PYTHON" -c "
import sys; sys.path.insert(0, 'weights')
import numpy as np, nca_int
m = nca_int.load_model('$M1')
C = 8
n = nca_int.Model(channels=C, hidden=m.hidden, kernels=m.kernels, boundary=m.boundary,
                  fire_q=m.fire_q, state_frac=m.state_frac, hid_frac=m.hid_frac,
                  alive_q=m.alive_q, name='eight', desc='8 channels, for a test',
                  shift1=m.shift1, shift2=m.shift2[:C], w1=m.w1[:, :3 * C], b1=m.b1,
                  w2=m.w2[:C], b2=m.b2[:C])
nca_int.save_model('$T/c8.bin', n)" 2>"$T/pyerr"
    if [ -s "$T/c8.bin" ]; then
        check "vboard: a model that does not fit the build: exit 1, one line" 1 1 \
            "$SAN" --backend vboard --vboard "$VBOARD" --view none -m "$T/c8.bin" --steps 4 &&
            grep -q 'channels' "$T/err" && pass "vboard: the line names the channels ($(cat "$T/err"))"
    else
        fail "vboard: a model that does not fit the build" "could not write one: $(head -c 300 "$T/pyerr")"
    fi
    # Ctrl-C in the terminal that started a window view (SIGINT to the terminal's foreground
    # process group) is the user quitting: exit 0, no board-lost line; the board, in its own
    # process group, ends with its stdin. (The terminal view reads Ctrl-C as a key.)
    if ! command -v tmux >/dev/null || [ -z "$XDISP" ]; then
        skip "vboard: Ctrl-C in the terminal of a window view quits with exit 0" "no tmux or Xvfb"
    else
        tc() { tmux -L "$TMUX_SOCK-c" "$@"; }
        tc new-session -d -x 120 -y 20 "DISPLAY=$XDISP $REL --backend vboard --vboard $VBOARD -m $M1 --view window --spf 40 -v 2>$T/cerr; echo exit=\$?; sleep 60"
        title=""
        for _ in $(seq 600); do
            title=$(DISPLAY=$XDISP xdotool search --name 'vboard \| step [1-9]' getwindowname 2>/dev/null | tail -1)
            [ -n "$title" ] && break
            sleep 0.1
        done
        # the board runs in a process group of its own, not the terminal's
        sh_pid=$(tc list-panes -F '#{pane_pid}' | head -1)
        host_pid=$(pgrep -P "$sh_pid" -f nca-host | head -1)
        vb_pid=$(pgrep -P "${host_pid:-0}" -f nca-vboard | head -1)
        host_pg=$(ps -o pgid= -p "${host_pid:-0}" | tr -d ' ')
        vb_pg=$(ps -o pgid= -p "${vb_pid:-0}" | tr -d ' ')
        if [ -n "$vb_pg" ] && [ -n "$host_pg" ] && [ "$vb_pg" != "$host_pg" ]; then
            pass "vboard: the board runs in its own process group ($vb_pg, nca-host $host_pg)"
        else
            fail "vboard: the board runs in its own process group" "board '$vb_pg', nca-host '$host_pg'"
        fi
        tc send-keys C-c
        for _ in $(seq 300); do
            tc capture-pane -p | grep -q 'exit=' && break
            sleep 0.1
        done
        if tc capture-pane -p | grep -q 'exit=0$' && [ ! -s "$T/cerr" ] &&
            tc capture-pane -p | grep -q 'quit by the user'; then
            pass "vboard: Ctrl-C in the terminal of a window view quits with exit 0 (at: ${title%% | r=*})"
        else
            fail "vboard: Ctrl-C in the terminal of a window view quits with exit 0" \
                "$(tc capture-pane -p | grep -v '^$' | tail -2; head -c 300 "$T/cerr")"
        fi
        tc kill-server 2>/dev/null
    fi
    # the board dies under a running view: one line, exit 2, no hang
    "$SAN" "${VB[@]}" --steps 100000 --spf 1 >"$T/kout" 2>"$T/kerr" &
    pid=$!
    sleep 3
    pkill -P "$pid" -f nca-vboard 2>/dev/null  # this run's board only (other suites run theirs)
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        fail "vboard: killed mid-run" "nca-host still running 30 s later"
    else
        wait "$pid"
        rc=$?
        if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/kerr")" -eq 1 ]; then
            pass "vboard: killed mid-run: exit 2, one line ($(cat "$T/kerr"))"
        else
            fail "vboard: killed mid-run" "exit $rc: $(head -c 300 "$T/kerr")"
        fi
    fi
fi


summary "live tests"
