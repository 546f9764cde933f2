package dev.stevedore.queue;

import java.util.regex.Pattern;

/**
 * The PostgreSQL schema that holds the queue's tables. Its name goes into SQL text, so it is checked
 * against a strict pattern: lower-case letters, digits and underscores, starting with a letter or underscore.
 */
public record QueueSchema(String name) {

    private static final Pattern VALID = Pattern.compile("[a-z_][a-z0-9_]{0,49}");
    public static final QueueSchema DEFAULT = new QueueSchema("stevedore");

    public QueueSchema {
        if (name == null || !VALID.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid queue schema name '" + name
                    + "': use 1 to 50 lower-case letters, digits or underscores, starting with a letter or underscore (e.g. stevedore)");
        }
    }

    /** The LISTEN/NOTIFY channel on which inserts announce available jobs; payload is the queue name. */
    public String channel() {
        return name + "_jobs";
    }

    /** Replaces every {@code {schema}} in an SQL template with this (validated) name. */
    public String sql(String template) {
        return template.replace("{schema}", name);
    }

    @Override
    public String toString() {
        return name;
    }
}
