/* tx.c — the transcript model (being written). */
