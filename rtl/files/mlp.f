# nca_mlp, the wide core's MAC array, and its weight memories
rtl/nca_mlp.v
rtl/nca_p_word.v
rtl/nca_weights.v
rtl/nca_ram_1r1w.v
