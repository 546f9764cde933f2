package dev.stevedore.operator.config;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Several operator replicas may run; one leads, through a Lease in the operator's namespace. Active in the
 * prod profile (Quarkus Operator SDK's default), so tests run a single operator without one.
 *
 * <p>A leader that loses its Lease exits, so its Pod restarts as a follower. JOSDK's own exit on stop leading
 * calls {@code System.exit} on the thread that stops leading, which at SIGTERM is the JVM's shutdown hook: a
 * shutdown hook that calls {@code System.exit} waits for itself forever, and the Pod hung until SIGKILL. Here the
 * exit is asked for on a thread of its own: during a shutdown that thread just waits while the shutdown ends.
 */
@Singleton
public class OperatorLeaderElection extends LeaderElectionConfiguration {

    private static final Logger LOG = Logger.getLogger(OperatorLeaderElection.class);

    public OperatorLeaderElection() {
        super("stevedore-operator-leader", null, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), null,
                new LeaderCallbacks(() -> {}, OperatorLeaderElection::exitOnItsOwnThread, leader -> {}), false);
    }

    private static void exitOnItsOwnThread() {
        Thread exit = new Thread(() -> {
            LOG.info("no longer the leader: exiting, to restart as a follower (a no-op if the operator is already stopping)");
            System.exit(1);
        }, "stevedore-leader-exit");
        exit.setDaemon(true);
        exit.start();
    }
}
