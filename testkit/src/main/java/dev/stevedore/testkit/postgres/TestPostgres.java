package dev.stevedore.testkit.postgres;

/**
 * The one PostgreSQL server of this JVM, found or started on first use and stopped when the JVM exits.
 * If it cannot be had, every later caller gets the same error at once instead of trying again.
 */
public final class TestPostgres {

    private static PostgresServer server;
    private static RuntimeException failure;

    private TestPostgres() {}

    public static synchronized PostgresServer server() {
        if (failure != null) {
            throw failure;
        }
        if (server == null) {
            try {
                server = PostgresLocator.start(PostgresLocator.Facts.ofThisMachine());
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
            PostgresServer started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "stevedore-test-postgres-stop"));
        }
        return server;
    }
}
