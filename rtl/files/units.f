# sim/tb_units.v's blocks: the wide core's units and the compact core's serial blocks
rtl/nca_perceive.v
-f rtl/files/mlp.f
rtl/nca_hash.v
rtl/nca_hash_serial.v
rtl/nca_alive_rows_serial.v
rtl/nca_perceive_serial.v
rtl/nca_requant_serial.v
rtl/nca_damage_serial.v
rtl/nca_pending_fifo.v
rtl/nca_mac_array_serial.v
rtl/nca_mac_lane.v
rtl/nca_alive_row.v
