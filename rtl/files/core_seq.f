# nca_core_seq, the compact UP5K core, and what it instantiates
rtl/nca_core_seq.v
rtl/nca_core_cfg.v
rtl/nca_hash_serial.v
rtl/nca_alive_rows_serial.v
rtl/nca_perceive_serial.v
rtl/nca_neighbours_serial.v
rtl/nca_requant_serial.v
rtl/nca_damage_serial.v
rtl/nca_pending_fifo.v
rtl/nca_weights_serial.v
rtl/nca_row0_copy.v
rtl/nca_scratch_serial.v
rtl/nca_mac_array_serial.v
rtl/nca_mac_lane.v
rtl/nca_spram.v
rtl/nca_ram_1r1w.v
