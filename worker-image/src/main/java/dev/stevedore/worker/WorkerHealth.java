package dev.stevedore.worker;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** /q/health/ready: the database answers, the process is registered, heartbeating, and not draining. */
@Readiness
@ApplicationScoped
class WorkerReadiness implements HealthCheck {

    @Inject
    WorkerService service;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("stevedore-worker")
                .status(service.ready())
                .withData("processId", service.processId())
                .withData("runningJobs", service.runningJobs())
                .withData("databaseReachable", service.databaseReachable())
                .build();
    }
}

/**
 * /q/health/live: the process serves. A database outage is deliberately not a liveness failure: restarting
 * every worker while the database is away would only add churn when it returns.
 */
@Liveness
@ApplicationScoped
class WorkerLiveness implements HealthCheck {

    @Inject
    WorkerService service;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("stevedore-worker").up().withData("started", service.started()).build();
    }
}
