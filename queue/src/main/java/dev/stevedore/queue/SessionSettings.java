package dev.stevedore.queue;

import java.time.Duration;
import java.util.Properties;

/**
 * Limits on database sessions, so that no lost client can hold the queue up for long. A worker partitioned
 * in the middle of a transaction would otherwise keep its row locks until the server's TCP keepalive gives
 * up (two hours by default), and every pruner would wait behind them.
 *
 * <ul>
 *   <li>{@link #IDLE_IN_TRANSACTION}: the server ends a session left idle inside a transaction.</li>
 *   <li>{@link #LOCK_TIMEOUT}: a maintenance statement (prune, release) gives up waiting for a lock; it is
 *       retried on its next round, and meanwhile the holder's session is ended by the first limit.</li>
 *   <li>TCP keepalives and {@link #SOCKET_TIMEOUT} on the client: a read never blocks forever on a dead
 *       connection. The heartbeat has a tighter bound of its own (half the alive threshold).</li>
 * </ul>
 *
 * <p>The queue applies the first two to every transaction it opens itself, whatever pool the application
 * passes in; {@link #jdbcProperties()} gives all of them for the connection pools of the worker process,
 * the operator and the CLI.
 */
public final class SessionSettings {

    public static final Duration IDLE_IN_TRANSACTION = Duration.ofSeconds(10);
    public static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);

    private SessionSettings() {}

    /**
     * PostgreSQL JDBC driver properties: keepalives, the socket timeout, and the server-side idle-in-transaction
     * limit for the whole session. A URL parameter of the same name takes precedence.
     */
    public static Properties jdbcProperties() {
        Properties p = new Properties();
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("socketTimeout", Long.toString(SOCKET_TIMEOUT.toSeconds()));
        p.setProperty("options", "-c idle_in_transaction_session_timeout=" + IDLE_IN_TRANSACTION.toMillis());
        return p;
    }
}
