package dev.stevedore.queue;

/**
 * Thrown by a handler for a failure that another attempt cannot fix (bad input, a 4xx answer): the job
 * ends {@code failed} at once, whatever attempts it has left.
 */
public class PermanentJobFailure extends RuntimeException {

    public PermanentJobFailure(String message) {
        super(message);
    }

    public PermanentJobFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
