# the iCEBreaker top (tools/bitstream.sh BOARD=icebreaker; lint with sim/lint/ stand-ins)
rtl/boards/nca_top_icebreaker.v
rtl/nca_reset_sync.v
-f rtl/files/board.f
