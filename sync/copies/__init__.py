"""The local copies of the lists people link (remote_records rows): entity names, binder links, kept fields."""
