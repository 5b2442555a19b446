// SPDX-License-Identifier: Apache-2.0
// nca_link_rows.vh - the answer kinds of nca_link's fixed-layout answers, which are also the
// rows of nca_link_counters' memory ({row, byte}), and the row of RUN's counters.
//
// Usage: `include it inside a module body (nca_link, nca_link_counters); a module that uses
// only some of them is not warned about the rest.
/* verilator lint_off UNUSEDPARAM */
localparam [2:0] K_STATUS = 3'd0, K_CODE = 3'd1, K_INFO = 3'd2, K_STATS = 3'd3,
                 K_FHDR = 3'd4, R_RUN = 3'd5;
/* verilator lint_on UNUSEDPARAM */
