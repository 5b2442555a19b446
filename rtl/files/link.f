# nca_link, a board's link engine, and what it instantiates
rtl/nca_link.v
rtl/nca_link_rx.v
rtl/nca_link_tx.v
rtl/nca_link_model.v
rtl/nca_link_frame.v
rtl/nca_link_counters.v
rtl/nca_uart_rx.v
rtl/nca_uart_tx.v
rtl/nca_crc16.v
rtl/nca_crc32.v
