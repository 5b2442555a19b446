# nca_board: the link and either core (the virtual board, the link benches)
rtl/nca_board.v
rtl/nca_cmd_slice.v
-f rtl/files/link.f
-f rtl/files/core.f
-f rtl/files/core_seq.f
