package dev.stevedore.queue;

/** A queue operation failed in the database (unreachable, refused the statement, ...). The message says which. */
public class QueueException extends RuntimeException {

    public QueueException(String message, Throwable cause) {
        super(message, cause);
    }

    public QueueException(String message) {
        super(message);
    }
}
