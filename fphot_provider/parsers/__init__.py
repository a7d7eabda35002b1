"""Pure parsers: a service's raw output (text) -> the photometry table. No I/O here."""
