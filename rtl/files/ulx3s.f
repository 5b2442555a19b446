# the ULX3S top (tools/bitstream.sh BOARD=ulx3s-25f / ulx3s-85f)
rtl/boards/nca_top_ulx3s.v
rtl/nca_reset_sync.v
-f rtl/files/board.f
