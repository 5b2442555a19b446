// SPDX-License-Identifier: Apache-2.0
// nca_uart_line.h - the host's end of a board's UART in a Verilator bench, counted in board
// clocks: a transmitter that drives the board's RX pin 8N1 from a queue, and a receiver that
// samples the board's TX pin in the middle of each bit. Shared by tb_link.cpp and vboard.cpp.
//
// Usage: UartLine u(clocks_per_bit); queue bytes with u.txq.push_back (bit 8 set: that
// byte's stop bit is sent as 0, a framing error); once per board clock, after the clock
// edge, top->i_uart_rx = u.clock(cycle, top->o_uart_tx, rx) with the clock count so far:
// it returns the RX pin's level and appends each byte received to rx (any container with
// push_back). tx_scale stretches the host's bit time against the board's (a host UART a few
// per cent off). Frames go back to back while the queue holds bytes. A start bit shorter
// than half a bit is a glitch and ignored; framing counts stop bits that were 0.
#ifndef NCA_UART_LINE_H
#define NCA_UART_LINE_H

#include <cstdint>
#include <deque>

struct UartLine {
    double bit;                   // clocks per bit
    double tx_scale = 1.0;        // host bit time / board bit time
    std::deque<uint16_t> txq;     // bytes for the board (bit 8: send a bad stop bit)
    int tx_bit = -1;              // -1 idle, 0 start, 1..8 data, 9 stop
    double tx_t0 = 0;             // clock at which the current frame started
    uint16_t tx_cur = 0;
    int rx_state = -1;            // -1 idle, else waiting for sample k
    double rx_t0 = 0;
    uint8_t rx_cur = 0;
    bool prev_line = true;
    uint64_t framing = 0;         // bytes received with a 0 stop bit
    uint64_t bytes_tx = 0;        // bytes started towards the board
    uint64_t bytes_rx = 0;        // bytes received from it

    explicit UartLine(double clocks_per_bit) : bit(clocks_per_bit) {}

    bool tx_busy() const { return tx_bit >= 0 || !txq.empty(); }
    bool rx_busy() const { return rx_state >= 0; }

    template <class Rx> bool clock(uint64_t cycle, bool board_tx, Rx &rx)
    {
        const double now = (double)cycle;
        // host -> board
        bool pin = true;
        const double tbit = bit * tx_scale;
        if (tx_bit < 0 && !txq.empty())
            start(now);
        if (tx_bit >= 0) {
            int b = (int)((now - tx_t0) / tbit);
            if (b >= 10) {
                tx_bit = -1;
                pin = true;
                if (!txq.empty()) {  // back to back
                    start(now);
                    pin = false;
                }
            } else {
                tx_bit = b;
                pin = b == 0 ? false : b == 9 ? !(tx_cur & 0x100) : ((tx_cur >> (b - 1)) & 1) != 0;
            }
        }
        // board -> host: sample in the middle of each bit
        const bool line = board_tx;
        if (rx_state < 0) {
            if (prev_line && !line) {
                rx_state = 0;
                rx_t0 = now - 0.5;
                rx_cur = 0;
            }
        } else if (now >= rx_t0 + (rx_state + 0.5) * bit) {
            if (rx_state == 0 && line) {
                rx_state = -1;  // glitch
            } else if (rx_state >= 1 && rx_state <= 8) {
                rx_cur |= (uint8_t)(line << (rx_state - 1));
                rx_state++;
            } else if (rx_state == 9) {
                if (!line)
                    framing++;
                rx.push_back(rx_cur);
                bytes_rx++;
                rx_state = -1;
            } else {
                rx_state++;
            }
        }
        prev_line = line;
        return pin;
    }

private:
    void start(double now)
    {
        tx_cur = txq.front();
        txq.pop_front();
        tx_t0 = now;
        tx_bit = 0;
        bytes_tx++;
    }
};

#endif
