package dev.stevedore.queue;

import java.sql.SQLException;

/** Turning database failures into one line a person can act on. */
public final class Errors {

    private Errors() {}

    /**
     * The first line of the innermost SQLException's message: a connection pool's "request timed out" wraps
     * the driver's own words ("Connection to db:5432 refused"), which say what is wrong. Passwords a URL in the
     * message may carry are masked.
     */
    public static String rootMessage(Throwable e) {
        String message = e.getMessage();
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof SQLException && t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message == null ? "unknown error" : Secrets.mask(message.lines().findFirst().orElse(message));
    }
}
