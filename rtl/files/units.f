# sim/tb_units.v's blocks: the wide core's units and the compact core's serial hash
rtl/nca_perceive.v
-f rtl/files/mlp.f
rtl/nca_hash.v
rtl/nca_hash_serial.v
rtl/nca_alive_rows_serial.v
rtl/nca_perceive_serial.v
rtl/nca_requant_serial.v
rtl/nca_alive_row.v
