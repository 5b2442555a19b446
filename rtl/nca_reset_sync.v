// SPDX-License-Identifier: Apache-2.0
// nca_reset_sync - a board's reset: held until the PLL has locked, then for 2^RST_BITS more
// clocks, and again while the reset button is pressed.
//
// Usage: i_lock (the PLL's lock) and i_btn (1 = pressed) may be asynchronous: each passes a
// two-flop synchroniser first. o_rst is high from configuration (every flop here starts at
// 0, so FPGA tools need no reset for this block) and falls synchronously 2^RST_BITS + 3
// clocks after i_lock rises with the button up; a drop of the lock or a press raises it
// again within 3 clocks. Used by both board tops (rtl/boards/).
`default_nettype none

module nca_reset_sync #(
    parameter RST_BITS = 10  // reset held 2^RST_BITS clocks after lock, 2..24
) (
    input  wire clk,
    input  wire i_lock,
    input  wire i_btn,
    output wire o_rst
);
    generate
        if (RST_BITS < 2 || RST_BITS > 24) begin : g_bad_rst_bits
            nca_reset_sync_bad_RST_BITS_2_to_24 u_stop ();
        end
    endgenerate

    reg [1:0]        lock_sync_r = 2'b00;
    reg [1:0]        btn_sync_r = 2'b00;   // 1 = pressed
    reg [RST_BITS:0] rst_cnt_r = {(RST_BITS + 1){1'b0}};
    reg              run_r = 1'b0;         // 0 = in reset
    always @(posedge clk) begin
        lock_sync_r <= {lock_sync_r[0], i_lock};
        btn_sync_r  <= {btn_sync_r[0], i_btn};
        if (!lock_sync_r[1] || btn_sync_r[1])
            rst_cnt_r <= {(RST_BITS + 1){1'b0}};
        else if (!rst_cnt_r[RST_BITS])
            rst_cnt_r <= rst_cnt_r + 1'b1;
        run_r <= rst_cnt_r[RST_BITS];
    end
    assign o_rst = !run_r;
endmodule

`default_nettype wire
