// SPDX-License-Identifier: Apache-2.0
// tb_icarus - the core bench for Icarus Verilog (iverilog -g2005): replays a command stream
// made by gen_icarus.c (load model, clear, seed, step N times), checks every step's clock
// count against the C cycle model and the final state against a state file written by
// `nca-host --save-state`.
//
// Usage: run in the folder holding cmds.hex, cycles.hex, expected.hex and meta.hex
// (`vvp -n tb.vvp`); prints "tb_icarus: PASS" or "tb_icarus: FAIL ..." and stops with
// $finish (exit status 0) or $fatal (non-zero). Grid 16x16, 16 channels, LANES = 16.
`default_nettype none

module tb_icarus;
    localparam GRID_W = 16, GRID_H = 16, C = 16, LANES = 16;
    localparam MAXCMD = 16384, MAXSTEP = 64;

    reg clk = 1'b0;
    reg rst = 1'b1;
    always #5 clk = ~clk;

    reg          cmd_valid = 1'b0;
    wire         cmd_ready;
    reg  [3:0]   cmd_op = 4'd0;
    reg  [31:0]  cmd_a = 32'd0, cmd_b = 32'd0, cmd_c = 32'd0;
    reg  [255:0] cmd_cell = 256'd0;
    wire         rsp_valid;
    reg          rsp_ready = 1'b0;
    wire [255:0] rsp_cell;
    wire         step_done;
    wire [31:0]  step_cycles, pre_alive, active, steps;

    nca_core #(.GRID_W(GRID_W), .GRID_H(GRID_H), .CHANNELS(C), .HIDDEN(128),
               .LANES(LANES)) dut (
        .clk(clk), .i_rst(rst), .i_cmd_valid(cmd_valid), .o_cmd_ready(cmd_ready),
        .i_cmd_op(cmd_op), .i_cmd_a(cmd_a), .i_cmd_b(cmd_b), .i_cmd_c(cmd_c),
        .i_cmd_cell(cmd_cell), .o_rsp_valid(rsp_valid), .i_rsp_ready(rsp_ready),
        .o_rsp_cell(rsp_cell), .o_step_done(step_done), .o_step_cycles(step_cycles),
        .o_pre_alive(pre_alive), .o_active(active), .o_steps(steps));

    reg [359:0] cmds [0:MAXCMD-1];
    reg [31:0]  cycles [0:MAXSTEP-1];
    reg [255:0] expected [0:GRID_W*GRID_H-1];
    reg [31:0]  meta [0:3];
    integer n, k, stepno, errors, x, y;

    // step-done pulses: compare the clock count of each step with the cycle model
    always @(posedge clk)
        if (step_done) begin
            if (step_cycles !== cycles[stepno]) begin
                $display("tb_icarus: FAIL: step %0d took %0d clocks, cycle model %0d", stepno,
                         step_cycles, cycles[stepno]);
                errors = errors + 1;
            end
            stepno = stepno + 1;
        end

    task issue;
        input [359:0] w;
        begin
            @(negedge clk);
            cmd_op = w[355:352];
            cmd_a = w[351:320];
            cmd_b = w[319:288];
            cmd_c = w[287:256];
            cmd_cell = w[255:0];
            cmd_valid = 1'b1;
            @(posedge clk);
            while (!cmd_ready)
                @(posedge clk);
            @(negedge clk);
            cmd_valid = 1'b0;
        end
    endtask

    initial begin
        errors = 0;
        stepno = 0;
        $readmemh("meta.hex", meta);
        $readmemh("cmds.hex", cmds, 0, meta[0] - 1);
        $readmemh("cycles.hex", cycles, 0, meta[1] - 1);
        $readmemh("expected.hex", expected);
        repeat (3) @(posedge clk);
        @(negedge clk);
        rst = 1'b0;
        for (n = 0; n < meta[0]; n = n + 1)
            issue(cmds[n]);
        @(negedge clk);
        while (!cmd_ready)
            @(negedge clk);
        @(negedge clk);  // the last step-done pulse is counted at the next edge
        if (stepno != meta[1]) begin
            $display("tb_icarus: FAIL: %0d step-done pulses for %0d steps", stepno, meta[1]);
            errors = errors + 1;
        end
        // read back every cell
        for (y = 0; y < GRID_H; y = y + 1)
            for (x = 0; x < GRID_W; x = x + 1) begin
                issue({4'd0, 4'd9, x[31:0], y[31:0], 32'd0, 256'd0});
                while (!rsp_valid)
                    @(negedge clk);
                if (rsp_cell !== expected[y * GRID_W + x]) begin
                    if (errors < 8)
                        $display("tb_icarus: FAIL: cell (%0d,%0d): rtl %h, nca-host %h", x, y,
                                 rsp_cell, expected[y * GRID_W + x]);
                    errors = errors + 1;
                end
                rsp_ready = 1'b1;
                @(negedge clk);
                rsp_ready = 1'b0;
            end
        if (errors == 0) begin
            $display("tb_icarus: %0dx%0d grid, %0d steps: state equals nca-host --save-state, cycles equal the C model",
                     GRID_W, GRID_H, meta[1]);
            $display("tb_icarus: PASS");
            $finish;
        end else begin
            $display("tb_icarus: FAIL (%0d errors)", errors);
            $fatal(1, "tb_icarus: FAIL");
        end
    end
endmodule

`default_nettype wire
