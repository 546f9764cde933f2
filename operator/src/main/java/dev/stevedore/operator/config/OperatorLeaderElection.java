package dev.stevedore.operator.config;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Singleton;

/**
 * Several operator replicas may run; one leads, through a Lease in the operator's namespace. Active in the
 * prod profile (Quarkus Operator SDK's default), so tests run a single operator without one.
 */
@Singleton
public class OperatorLeaderElection extends LeaderElectionConfiguration {

    public OperatorLeaderElection() {
        super("stevedore-operator-leader");
    }
}
