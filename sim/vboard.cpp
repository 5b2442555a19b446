// SPDX-License-Identifier: Apache-2.0
// nca-vboard - the virtual board: the Verilated rtl/nca_board.v behind a pseudo terminal.
//
// It opens a pty (raw), prints one line "pty: /dev/pts/N" on stdout and serves until it is
// killed (or, with --stdin-eof, until its stdin reaches end of file, so that a parent can
// tie the board's life to a pipe). Bytes a client writes to the pty are sent to the
// board's i_uart_rx bit by bit (8N1 at the build's CLK_HZ / BAUD, in clocks); the board's
// o_uart_tx is decoded bit by bit back to bytes for the client. Simulated time runs only
// while there is something to do: when the board is idle (o_led_idle), nothing is queued
// for it and no bit is on either line, the program sleeps in poll(). One exception: a
// packet that stops half way (nca_board's dbg_rx_busy) gets 20 ms of real time to go on;
// after that the clock runs until the board's 1 ms LINK_TIMEOUT has dropped it, as on a
// real board. The grid and the other build parameters are fixed when it is built
// (`make -C sim vboard`: 64x64, 16 channels, 128 hidden, 64 lanes, 48 MHz, 12 Mbaud,
// docs/design.md "Virtual board speed"); this program reads them from the Verilated model.
// Built with NCA_VBOARD_GATE (`make -C sim gate-vboard`, nca-vboard-gate) it serves the
// placed iCEBreaker netlist instead (sim/gate/nca_gate_board.v): the same pty, parameters
// from the bitstream's configuration, and the clock always running (a netlist shows no
// receiver state to sleep on).
#if NCA_VBOARD_GATE
// the gate-level build (make gatesim): the placed iCEBreaker netlist behind nca_gate_board;
// a netlist has no parameters, so sim/Makefile passes the build's (tools/bitstream.sh
// icebreaker --config) as NCA_GATE_*
#include "Vnca_gate_board.h"
using Vtop = Vnca_gate_board;
struct Params {
    static constexpr unsigned GRID_W = NCA_GATE_GRID_W, GRID_H = NCA_GATE_GRID_H;
    static constexpr unsigned CHANNELS = NCA_GATE_CHANNELS, HIDDEN = NCA_GATE_HIDDEN;
    static constexpr unsigned LANES = NCA_GATE_LANES, CLK_HZ = NCA_GATE_CLK_HZ;
    static constexpr unsigned BAUD = NCA_GATE_BAUD;
};
#else
#include "Vnca_board.h"
#include "Vnca_board___024root.h"
#include "Vnca_board_nca_board.h"
using Vtop = Vnca_board;
using Params = Vnca_board_nca_board;
#endif
#include "nca_bench.h"
#include "nca_uart_line.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

static constexpr double BIT = (double)Params::CLK_HZ / Params::BAUD;  // clocks per bit

namespace {

struct Board : NcaBench<Vtop> {
    UartLine uart{BIT};           // the client's end of the board's UART
    std::deque<uint8_t> out;      // board -> client

    void tick()
    {
        NcaBench<Vtop>::tick();
        top->i_uart_rx = uart.clock(cycle, top->o_uart_tx, out);
    }

    bool lines_quiet() const { return !uart.tx_busy() && !uart.rx_busy(); }
#if NCA_VBOARD_GATE
    // a netlist shows no receiver state: never block, so that the board's timers always run
    bool idle() const { return false; }
    bool rx_partial() const { return false; }
#else
    bool idle() const { return lines_quiet() && top->o_led_idle && !rx_partial(); }
    bool rx_partial() const { return top->rootp->nca_board->dbg_rx_busy; }
#endif
};

void usage(FILE *f)
{
    fprintf(f,
            "usage: nca-vboard [options]\n"
            "The Verilated nca_board behind a pseudo terminal: prints \"pty: PATH\" and serves\n"
            "the link protocol (docs/protocol.md) on PATH until killed.\n"
            "  --stdin-eof      also exit when stdin reaches end of file (tie to a parent)\n"
            "  --grid WxH       check the grid: it is a build parameter (this build: %ux%u)\n"
            "  --trace FILE     write a VCD of the whole run (builds made with TRACE=1)\n"
            "  --quiet          no messages on stderr (errors excepted)\n"
            "  --help           this text\n"
            "Build: GRID %ux%u, CHANNELS %u, HIDDEN %u, LANES %u, CLK_HZ %u, BAUD %u.\n",
            Params::GRID_W, Params::GRID_H, Params::GRID_W, Params::GRID_H, Params::CHANNELS,
            Params::HIDDEN, Params::LANES, Params::CLK_HZ, Params::BAUD);
}

bool set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

}  // namespace

int main(int argc, char **argv)
{
    bool stdin_eof = false, quiet = false;
    const char *trace_path = nullptr;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--stdin-eof") {
            stdin_eof = true;
        } else if (a == "--quiet") {
            quiet = true;
        } else if (a == "--grid" && i + 1 < argc) {
            unsigned w = 0, h = 0;
            char extra;
            if (sscanf(argv[++i], "%ux%u%c", &w, &h, &extra) != 2) {
                fprintf(stderr, "nca-vboard: --grid %s: expected WxH\n", argv[i]);
                return 1;
            }
            if (w != Params::GRID_W || h != Params::GRID_H) {
                fprintf(stderr, "nca-vboard: --grid %ux%u: this build's grid is %ux%u (the grid "
                        "is a parameter of the Verilated nca_board)\n", w, h, Params::GRID_W,
                        Params::GRID_H);
                return 1;
            }
        } else if (a == "--trace" && i + 1 < argc) {
            trace_path = argv[++i];
        } else {
            fprintf(stderr, "nca-vboard: unknown option %s (--help lists them)\n", argv[i]);
            return 1;
        }
    }

    // the pty: raw, and a slave kept open so that a client closing it is no hang-up
    int mfd = posix_openpt(O_RDWR | O_NOCTTY);
    if (mfd < 0 || grantpt(mfd) != 0 || unlockpt(mfd) != 0) {
        fprintf(stderr, "nca-vboard: cannot open a pseudo terminal: %s\n", strerror(errno));
        return 1;
    }
    const char *sname = ptsname(mfd);
    if (!sname) {
        fprintf(stderr, "nca-vboard: ptsname: %s\n", strerror(errno));
        return 1;
    }
    std::string spath = sname;
    int sfd = open(spath.c_str(), O_RDWR | O_NOCTTY);
    struct termios tio;
    if (sfd < 0 || tcgetattr(sfd, &tio) != 0) {
        fprintf(stderr, "nca-vboard: %s: %s\n", spath.c_str(), strerror(errno));
        return 1;
    }
    cfmakeraw(&tio);
    if (tcsetattr(sfd, TCSANOW, &tio) != 0 || !set_nonblock(mfd)) {
        fprintf(stderr, "nca-vboard: %s: cannot set raw mode: %s\n", spath.c_str(),
                strerror(errno));
        return 1;
    }

    Board b;
    if (trace_path && !b.trace_open(trace_path)) {
#if VM_TRACE
        fprintf(stderr, "nca-vboard: --trace: cannot write %s\n", trace_path);
#else
        fprintf(stderr, "nca-vboard: --trace: this build has no VCD support (make -C sim "
                "vboard TRACE=1)\n");
#endif
        return 1;
    }
    b.top->i_uart_rx = 1;
    b.top->i_rst = 1;
    for (int i = 0; i < 8; i++)
        b.tick();
    b.top->i_rst = 0;
    for (int i = 0; i < 8; i++)
        b.tick();
#if NCA_VBOARD_GATE
    for (int i = 0; i < (1 << 24) && b.top->o_in_reset; i++) /* nca_reset_sync's hold */
        b.tick();
#endif

    // stderr may share the parent's pipe: say hello before the pty line, and let a closed
    // pipe cost the last message only
    signal(SIGPIPE, SIG_IGN);
    if (!quiet)
        fprintf(stderr, "nca-vboard: %ux%u board at %u Hz, %u baud on %s\n", Params::GRID_W,
                Params::GRID_H, Params::CLK_HZ, Params::BAUD, spath.c_str());
    printf("pty: %s\n", spath.c_str());
    fflush(stdout);

    const int chunk = 2048;  // clocks between looks at the pty
    bool done = false;
    int status = 0;
    uint8_t buf[4096];
    while (!done) {
        // what to wait for: nothing to simulate -> block; a half packet -> 20 ms
        int wait_ms = 0;
        if (b.out.empty() && b.idle())
            wait_ms = -1;
        else if (b.out.empty() && b.lines_quiet() && b.rx_partial())
            wait_ms = 20;
        struct pollfd p[2];
        int np = 0;
        p[np++] = {mfd, (short)(POLLIN | (b.out.empty() ? 0 : POLLOUT)), 0};
        if (stdin_eof)
            p[np++] = {0, POLLIN, 0};
        int r = poll(p, (nfds_t)np, wait_ms);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "nca-vboard: poll: %s\n", strerror(errno));
            status = 1;
            break;
        }
        bool got = false;
        if (r > 0 && (p[0].revents & POLLIN)) {
            ssize_t n = read(mfd, buf, sizeof buf);
            if (n > 0) {
                b.uart.txq.insert(b.uart.txq.end(), buf, buf + n);
                got = true;
            }
        }
        if (r > 0 && (p[0].revents & POLLOUT) && !b.out.empty()) {
            size_t n = 0;
            while (n < sizeof buf && n < b.out.size()) {
                buf[n] = b.out[n];
                n++;
            }
            ssize_t w = write(mfd, buf, n);
            if (w > 0)
                b.out.erase(b.out.begin(), b.out.begin() + w);
        }
        if (stdin_eof && r > 0 && (p[np - 1].revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                done = true;
        }
        if (wait_ms == 20 && r == 0 && !got) {
            // the client went quiet inside a packet: let the board's timeout run
            while (b.rx_partial() && b.uart.txq.empty())
                for (int i = 0; i < chunk; i++)
                    b.tick();
            continue;
        }
        if (!b.idle() && b.out.size() < 65536)
            for (int i = 0; i < chunk; i++)
                b.tick();
    }
    if (!quiet)
        fprintf(stderr, "nca-vboard: %llu clocks simulated, %llu bytes in, %llu out%s\n",
                (unsigned long long)b.cycle, (unsigned long long)b.uart.bytes_tx,
                (unsigned long long)b.uart.bytes_rx, b.uart.framing ? ", FRAMING ERRORS" : "");
    close(sfd);
    close(mfd);
    return status;
}
