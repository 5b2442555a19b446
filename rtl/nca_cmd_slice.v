// SPDX-License-Identifier: Apache-2.0
// nca_cmd_slice - a register between a command source (the link engine) and a core's
// command port, so that no path runs from one block's decode logic into the other's.
//
// Usage: i_valid / o_ready / i_data on the source side, o_valid / i_ready / o_data on the
// core side, both valid/ready handshakes. The slice takes a command only while it is empty
// and the core is ready (o_ready = !full && i_ready) and offers it to the core from the
// next clock (latency 1 clock, at most one command every 2 clocks). The source therefore
// sees ready low for the clock after a hand-off and from then on the core's own ready: as
// without the slice, "ready again" means the core has finished the command (nca_link waits
// on that for STEP and SET). The core must not drop i_ready while it is offered a command
// (a core's ready is its idle state). o_ready depends combinationally on i_ready only.
`default_nettype none

module nca_cmd_slice #(
    parameter WIDTH = 101   // command bits, 1..1024
) (
    input  wire             clk,
    input  wire             i_rst,
    input  wire             i_valid,
    output wire             o_ready,
    input  wire [WIDTH-1:0] i_data,
    output wire             o_valid,
    input  wire             i_ready,
    output wire [WIDTH-1:0] o_data
);
    generate
        if (WIDTH < 1 || WIDTH > 1024) begin : g_bad_width
            nca_cmd_slice_bad_WIDTH_1_to_1024 u_stop ();
        end
    endgenerate

    reg             full_r;
    reg [WIDTH-1:0] data_r;
    assign o_ready = !full_r && i_ready;
    assign o_valid = full_r;
    assign o_data = data_r;

    always @(posedge clk) begin
        if (i_valid && o_ready)
            data_r <= i_data;
        if (i_rst)
            full_r <= 1'b0;
        else if (full_r)
            full_r <= !i_ready;
        else
            full_r <= i_valid && i_ready;
    end
endmodule

`default_nettype wire
