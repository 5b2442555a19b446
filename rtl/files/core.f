# nca_core, the wide core, and what it instantiates (paths from the repository root;
# tools/rtl_files.sh resolves -f lines and drops repeats)
rtl/nca_core.v
rtl/nca_core_cfg.v
rtl/nca_alive_row.v
rtl/nca_grid_mem.v
rtl/nca_hash.v
rtl/nca_damage_raster.v
rtl/nca_neighbour_addr.v
rtl/nca_perceive.v
-f rtl/files/mlp.f
