/* proto.c — the wire codec (being written; see protocol/meson.build). */
