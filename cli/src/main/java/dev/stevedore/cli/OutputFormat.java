package dev.stevedore.cli;

/** How results are printed: a table for people, or JSON for scripts (a stable interface). */
enum OutputFormat {
    table,
    json
}
