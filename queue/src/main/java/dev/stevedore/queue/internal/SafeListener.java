package dev.stevedore.queue.internal;

import dev.stevedore.queue.QueueListener;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Shields the worker's threads from a listener that throws: a metrics bug must never stop claims or heartbeats. */
public final class SafeListener implements QueueListener {

    private static final Logger LOG = LoggerFactory.getLogger(SafeListener.class);
    private final QueueListener delegate;

    public SafeListener(QueueListener delegate) {
        this.delegate = delegate;
    }

    private void guard(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("queue listener {} failed: {}", delegate.getClass().getName(), e.toString());
        }
    }

    @Override
    public void jobClaimed(String queue, String handler, Duration waited) {
        guard(() -> delegate.jobClaimed(queue, handler, waited));
    }

    @Override
    public void jobCompleted(String queue, String handler, Duration runtime) {
        guard(() -> delegate.jobCompleted(queue, handler, runtime));
    }

    @Override
    public void jobFailed(String queue, String handler, String errorClass, boolean willRetry) {
        guard(() -> delegate.jobFailed(queue, handler, errorClass, willRetry));
    }

    @Override
    public void processPruned(long processId, String reason, int failed, int retried) {
        guard(() -> delegate.processPruned(processId, reason, failed, retried));
    }

    @Override
    public void jobPruned(String queue, String handler, String reason, boolean willRetry) {
        guard(() -> delegate.jobPruned(queue, handler, reason, willRetry));
    }

    @Override
    public void lateWriteRejected(long jobId, String what) {
        guard(() -> delegate.lateWriteRejected(jobId, what));
    }

    @Override
    public void heartbeatFailed(Exception cause) {
        guard(() -> delegate.heartbeatFailed(cause));
    }

    @Override
    public void jobsReleased(int count) {
        guard(() -> delegate.jobsReleased(count));
    }
}
