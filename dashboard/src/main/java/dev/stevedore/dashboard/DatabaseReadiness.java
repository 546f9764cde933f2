package dev.stevedore.dashboard;

import dev.stevedore.queue.Errors;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while the database answers: a Service then sends no one to a dashboard that can only show an error. */
@Readiness
public class DatabaseReadiness implements HealthCheck {

    @Inject
    QueueConnection queue;

    @Override
    public HealthCheckResponse call() {
        try {
            return HealthCheckResponse.named("database").up().withData("now", queue.insights().now().toString()).build();
        } catch (RuntimeException e) {
            return HealthCheckResponse.named("database").down().withData("error", Errors.rootMessage(e)).build();
        }
    }
}
