# nca_core_seq, the compact UP5K core, and what it instantiates
rtl/nca_core_seq.v
rtl/nca_hash_serial.v
rtl/nca_alive_rows_serial.v
rtl/nca_perceive_serial.v
rtl/nca_requant_serial.v
rtl/nca_mac_lane.v
rtl/nca_spram.v
rtl/nca_ram_1r1w.v
